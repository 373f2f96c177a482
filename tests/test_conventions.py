"""Conventions: validation with clear messages, presets, exact hyperparameters."""

from fractions import Fraction

import pytest

from oracle.conventions import PRESET_NAMES, Convention, preset, to_fraction


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
            ("hyperparameters", "bf16", "hyperparameters must be 'exact', 'float32' or 'float32_lr', got 'bf16'"),
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
