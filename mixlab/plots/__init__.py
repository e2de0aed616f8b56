"""Figures the lessons reuse: skill profiles, mixtures, the 3-domain simplex, convergence, budgets.

Every function draws on a matplotlib ``Axes`` (pass ``ax=`` to place it in your own figure, or
let the function create one), returns the Axes (or the Figure for multi-panel plots) and never
calls ``plt.show()`` itself: a notebook cell ends with ``plt.show()`` so that nbval compares a
stable ``text/plain`` output. Colours are fixed per domain name (:func:`domain_colors`) and per
mixture or baseline name (:func:`mixture_colors`), so ``code`` and ``proportional`` have the same
colour in every figure of the course. Losses are in nats/token.

The figures live in topic modules; import them from here (``from mixlab.plots import ...``):

- :mod:`mixlab.plots.style`: colours (:data:`DOMAIN_COLORS`, :data:`MIXTURE_COLORS`) and helpers;
- :mod:`mixlab.plots.profiles`: skill profiles and mixture bars;
- :mod:`mixlab.plots.ternary` and :mod:`mixlab.plots.ternary_maps`: the 3-domain simplex;
- :mod:`mixlab.plots.budget`: epochs, temperature, the value of tokens;
- :mod:`mixlab.plots.convergence`: realized vs target mixture;
- :mod:`mixlab.plots.data`: document lengths, filter scores, the ledger;
- :mod:`mixlab.plots.seeds`: means over seeds with their t intervals;
- :mod:`mixlab.plots.methods`: rank agreement, method traces and fits, scores vs cost, objective tables.

matplotlib is imported inside the functions, so ``import mixlab`` (and ``import mixlab.plots``)
stays light.

Used in: every lesson (each draws its figures with it).
"""

from mixlab.plots.budget import caps_plot, epochs_plot, marginal_value_plot, repetition_value_plot, temperature_plot
from mixlab.plots.convergence import convergence_plot
from mixlab.plots.data import ledger_plot, length_distribution, score_histogram
from mixlab.plots.methods import (
    agreement_vs_cost,
    objective_heatmap,
    predicted_vs_measured,
    rank_agreement_plot,
    score_vs_cost,
    seed_averaging_plot,
    weight_trace,
)
from mixlab.plots.profiles import excess_profile_plot, mixture_bars, skill_profile_plot
from mixlab.plots.seeds import interval_plot
from mixlab.plots.style import (
    DOMAIN_COLORS,
    LEGEND_PLACES,
    MIXTURE_COLORS,
    MIXTURE_MARKERS,
    SERIES_COLORS,
    color_mixture_labels,
    domain_colors,
    mixture_colors,
    mixture_family,
    mixture_markers,
    place_labels,
    place_legend,
    series_colors,
)
from mixlab.plots.ternary import barycentric_to_xy, ternary_axes, ternary_caps, ternary_path, ternary_scatter
from mixlab.plots.ternary_maps import SCALES, ternary_heatmap

__all__ = [
    "agreement_vs_cost",
    "barycentric_to_xy",
    "caps_plot",
    "color_mixture_labels",
    "convergence_plot",
    "DOMAIN_COLORS",
    "domain_colors",
    "epochs_plot",
    "excess_profile_plot",
    "interval_plot",
    "ledger_plot",
    "LEGEND_PLACES",
    "length_distribution",
    "marginal_value_plot",
    "mixture_bars",
    "MIXTURE_COLORS",
    "mixture_colors",
    "mixture_family",
    "MIXTURE_MARKERS",
    "mixture_markers",
    "objective_heatmap",
    "place_labels",
    "place_legend",
    "predicted_vs_measured",
    "rank_agreement_plot",
    "repetition_value_plot",
    "SCALES",
    "score_histogram",
    "score_vs_cost",
    "seed_averaging_plot",
    "SERIES_COLORS",
    "series_colors",
    "skill_profile_plot",
    "temperature_plot",
    "ternary_axes",
    "ternary_caps",
    "ternary_heatmap",
    "ternary_path",
    "ternary_scatter",
    "weight_trace",
]
