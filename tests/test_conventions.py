"""Conventions: validation with clear messages, presets, exact hyperparameters."""

from fractions import Fraction

import pytest

from oracle.conventions import PRESET_NAMES, Convention, parse, preset, to_fraction


class TestValidation:
    @pytest.mark.parametrize(
        "field, value, message",
        [
            ("lr", -0.1, "lr must be >= 0, got -0.1"),
            ("eps", -1e-8, "eps must be >= 0, got -1e-08"),
            ("rho", 1.0, "rho must lie in [0, 1), got 1.0"),
            ("rho", -0.5, "rho must lie in [0, 1), got -0.5"),
            ("momentum", 1.5, "momentum must lie in [0, 1), got 1.5"),
            ("weight_decay", -1, "weight_decay must be >= 0, got -1"),
            ("v0", -2, "v0 must be >= 0, got -2"),
            ("lr", float("nan"), "lr must be a finite number, got nan"),
            ("eps", float("inf"), "eps must be a finite number, got inf"),
            ("rho", "0.9x", "rho must be a finite number, got '0.9x'"),
            ("lr", True, "lr must be a number, got True"),
            ("lr", None, "lr must be a number, got None"),
            ("eps_placement", "middle", "eps_placement must be 'inside' or 'outside', got 'middle'"),
            ("hyperparameters", "bf16", "hyperparameters must be 'exact', 'float32', 'float32_lr' or 'float32:NAMES' "
             "(NAMES joined by + from lr, rho, eps, v0, momentum, weight_decay), got 'bf16'"),
            ("centered", 1, "centered must be a bool, got 1"),
        ],
    )
    def test_bad_value_names_field_and_echoes_value(self, field, value, message):
        """A bad field raises ValueError whose message names the field and echoes the value."""
        with pytest.raises(ValueError) as info:
            Convention(**{field: value})
        assert str(info.value) == message

    def test_option_absent_from_preset_is_refused(self):
        """A momentum option on a preset without momentum is a ValueError naming both."""
        with pytest.raises(ValueError, match=r"^momentum is not an option of the 'seed' convention, got momentum=0.9$"):
            preset("seed", momentum=0.9)
        with pytest.raises(ValueError, match="weight_decay is not an option of the 'tf1' convention"):
            preset("tf1", weight_decay=0.1)

    def test_mxnet_momentum_needs_centered(self):
        """MXNet 1.x has momentum only in its centered kernel."""
        with pytest.raises(ValueError, match="unless centered=True"):
            preset("mxnet", momentum=0.9)
        assert preset("mxnet", momentum=0.9, centered=True).state_names() == ("v", "m", "b")

    def test_unknown_preset_lists_known_ones(self):
        """An unknown preset name is refused with the list of known names."""
        with pytest.raises(ValueError, match="preset must be one of seed, pytorch"):
            preset("adam")


class TestExactness:
    def test_float_is_its_binary_value_and_string_its_decimal(self):
        """0.1 as a float is 3602879701896397/2^55; "0.1" is exactly 1/10."""
        assert preset("seed", lr=0.1).exact("lr") == Fraction(3602879701896397, 2**55)
        assert preset("seed", lr="0.1").exact("lr") == Fraction(1, 10)
        assert to_fraction("1e-8") == Fraction(1, 10**8)

    def test_float32_knob_rounds_every_hyperparameter(self):
        """hyperparameters='float32' rounds lr, rho and eps to the nearest binary32."""
        import numpy as np

        c = preset("pytorch", lr=0.1, rho=0.99, eps=1e-8, hyperparameters="float32")
        for field, value in (("lr", 0.1), ("rho", 0.99), ("eps", 1e-8)):
            assert c.exact(field) == Fraction(float(np.float32(value)))

    def test_float32_lr_knob_rounds_only_lr(self):
        """hyperparameters='float32_lr' (Keras 3) rounds lr and keeps rho exact."""
        c = preset("keras", lr=0.1, rho=0.9, hyperparameters="float32_lr")
        assert c.exact("lr") != Fraction(0.1) and c.exact("rho") == Fraction(0.9)

    def test_describe_keeps_values_as_given(self):
        """describe() records a float as its hex and repr and a string verbatim."""
        d = preset("seed", lr=0.1).describe()
        assert d["lr"] == {"float": "0x1.999999999999ap-4", "repr": "0.1"}
        assert d["rho"] == "0.9"


class TestPresets:
    @pytest.mark.parametrize("name", PRESET_NAMES)
    def test_every_preset_cites_a_source(self, name):
        """Each preset carries its source and is valid with its defaults."""
        c = preset(name)
        assert c.name == name and len(c.source) > 40

    def test_survey_defaults(self):
        """Preset switches follow the frameworks' code (see the conventions survey)."""
        assert preset("pytorch").eps_placement == "outside" and not preset("pytorch").lr_in_momentum
        assert preset("tf1").v0 == 1 and preset("tf1").eps == "1e-10"
        assert preset("keras").decoupled_weight_decay
        assert preset("graves2013").centered and preset("graves2013").has_momentum

    def test_conventions_are_immutable(self):
        """Assigning to a field raises: a convention is a value."""
        import dataclasses

        with pytest.raises(dataclasses.FrozenInstanceError):
            preset("seed").lr = 1


class TestSpecs:
    """Conventions as data: ``PRESET[,FIELD=VALUE...]`` strings (``--convention`` of the suite)."""

    @pytest.mark.parametrize("spec, field, value", [
        ("pytorch,v0=1", "v0", "1"),
        ("optax,eps_placement=outside", "eps_placement", "outside"),
        ("seed,float32=rho+eps+momentum", "hyperparameters", "float32:rho+eps+momentum"),
        ("seed,float32=all", "hyperparameters", "float32"),
        ("seed,float32=lr", "hyperparameters", "float32_lr"),
        ("keras,float32=none", "hyperparameters", "exact"),
        ("pytorch,maximize=true,allows=maximize", "maximize", True),
        ("mxnet,momentum_needs_centered=false", "momentum_needs_centered", False),
    ])
    def test_spec_overrides_one_field(self, spec, field, value):
        """Each FIELD=VALUE overrides exactly that field of the preset."""
        c = parse(spec)
        assert getattr(c, field) == value and c.name == spec.split(",")[0]

    def test_float32_names_round_exactly_those(self):
        """float32=rho+eps rounds rho and eps to binary32 and leaves lr exact."""
        import numpy as np

        c = parse("seed,float32=rho+eps").replace(lr=0.1, rho=0.9, eps=1e-8)
        assert c.exact("rho") == Fraction(float(np.float32(0.9))) and c.exact("eps") == Fraction(float(np.float32(1e-8)))
        assert c.exact("lr") == Fraction(0.1)

    @pytest.mark.parametrize("spec, message", [
        ("pytorc", "convention spec 'pytorc': unknown preset 'pytorc' (did you mean 'pytorch'?)"),
        ("pytorch,v0", "convention spec 'pytorch,v0': expected FIELD=VALUE, got 'v0'"),
        ("pytorch,vo=1", "unknown field 'vo' (did you mean 'v0'?)"),
        ("pytorch,v0=one", "convention spec 'pytorch,v0=one': v0 must be a finite number, got 'one'"),
        ("pytorch,centered=maybe", "centered must be true or false, got 'maybe'"),
        ("seed,float32=rho+epss", "float32 must be all, none or names joined by +"),
        ("seed,float32=rho+epss", "got 'rho+epss' (did you mean 'eps'?)"),
        ("seed,eps_placement=middle", "eps_placement must be 'inside' or 'outside', got 'middle'"),
        ("seed,v0=1,v0=0", "v0 is given twice"),
        ("", "convention spec must look like PRESET[,FIELD=VALUE...], got ''"),
    ])
    def test_bad_spec_names_field_and_echoes_value(self, spec, message):
        """A bad spec is a ValueError that names the field, echoes the value and suggests close matches."""
        with pytest.raises(ValueError) as info:
            parse(spec)
        assert message in str(info.value)

    @pytest.mark.parametrize("name", PRESET_NAMES)
    def test_spec_round_trips(self, name):
        """spec() of any preset variant parses back to the same structure."""
        for c in (preset(name), preset(name, v0=1, eps_placement="outside"), preset(name, hyperparameters="float32:rho")):
            assert parse(c.spec()).structure() == c.structure()

    def test_spec_of_a_custom_convention_names_the_closest_preset(self):
        """A convention built field by field is written as the preset needing fewest overrides."""
        c = Convention(eps_placement="outside", v0=1, allows=frozenset())
        assert c.spec() == "autograd"

    def test_eps_placement_can_depend_on_momentum(self):
        """keras2_legacy: eps outside the root without momentum, inside with it."""
        c = preset("keras2_legacy")
        assert c.effective_eps_placement == "outside"
        assert c.replace(momentum=0.9).effective_eps_placement == "inside"

    def test_new_fields_are_described_only_when_set(self):
        """describe() of an older preset is unchanged by the fields added after golden format 1."""
        assert "eps_placement_with_momentum" not in preset("pytorch").describe()
        assert preset("keras2_legacy").describe()["eps_placement_with_momentum"] == "inside"
