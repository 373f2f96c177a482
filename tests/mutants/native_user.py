"""A user's own ``torch.optim.Optimizer`` subclasses (the common case for a custom or fused kernel).

``MyRMSprop`` is PyTorch's update written by hand with torch ops and hyperparameter names the bridge's
aliases do not all know (``beta`` for rho is known, ``tiny`` for eps is not): certify it with
``--hyperparameter-names tiny=eps``.  ``Standard`` uses the usual names and no option.
"""

import torch


class MyRMSprop(torch.optim.Optimizer):
    def __init__(self, params, lr=0.01, beta=0.99, tiny=1e-8):
        super().__init__(params, dict(lr=lr, beta=beta, tiny=tiny))

    @torch.no_grad()
    def step(self):
        for group in self.param_groups:
            for p in group["params"]:
                state = self.state[p]
                if not state:
                    state["v"] = torch.zeros_like(p)
                v = state["v"]
                v.mul_(group["beta"]).addcmul_(p.grad, p.grad, value=1 - group["beta"])
                p.addcdiv_(p.grad, v.sqrt().add_(group["tiny"]), value=-group["lr"])


class Standard(MyRMSprop):
    def __init__(self, params, lr=0.01, alpha=0.99, eps=1e-8):
        super().__init__(params, lr=lr, beta=alpha, tiny=eps)
