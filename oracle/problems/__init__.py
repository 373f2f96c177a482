"""Problems RMSProp is run on: the source documents' examples, quadratics, gradient streams.

Each closed-loop problem provides a gradient function written with context
operations (``grad_fn(ar, params) -> grads``), so the same function feeds the
certified reference, the float backend and the error bound.
"""
