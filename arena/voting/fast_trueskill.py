"""The trueskill package's one-versus-one update, as closed-form arithmetic on floats.

`trueskill.rate_1vs1` builds a factor graph for every vote (about 1,300 votes a second); for two
players the graph's messages reduce to the textbook closed form below, which replays a
million-vote log in seconds. It uses the package's own approximation of erfc and its draw
margin, so both agree to rounding (tested against the package on random sequences).
"""

import math

import trueskill

SQRT2 = math.sqrt(2)
INV_SQRT_2PI = 1 / math.sqrt(2 * math.pi)
# The package's Chebyshev fit of erfc (Numerical Recipes, fractional error below 1.2e-7).
ERFC_COEFFICIENTS = (
    -1.26551223, 1.00002368, 0.37409196, 0.09678418, -0.18628806,
    0.27886807, -1.13520398, 1.48851587, -0.82215223, 0.17087277,
)  # fmt: skip


def _erfc(x: float) -> float:
    z = abs(x)
    t = 1.0 / (1.0 + z / 2.0)
    polynomial = 0.0
    for coefficient in reversed(ERFC_COEFFICIENTS[1:]):
        polynomial = coefficient + t * polynomial
    r = t * math.exp(-z * z + ERFC_COEFFICIENTS[0] + t * polynomial)
    return 2.0 - r if x < 0 else r


def _cdf(x: float) -> float:
    return 0.5 * _erfc(-x / SQRT2)


def _pdf(x: float) -> float:
    return INV_SQRT_2PI * math.exp(-x * x / 2)


class OneVersusOne:
    """Rates one game between two players of an environment (mu, sigma, beta, tau, draws)."""

    def __init__(self, environment: trueskill.TrueSkill):
        self.two_beta_squared = 2 * environment.beta**2
        self.tau_squared = environment.tau**2
        self.draw_margin = trueskill.calc_draw_margin(environment.draw_probability, 2, environment)

    def rate(self, winner: tuple, loser: tuple, drawn: bool = False) -> tuple:
        """((mu, sigma), (mu, sigma)) of winner and loser after the game (or a draw)."""
        (mu_w, sigma_w), (mu_l, sigma_l) = winner, loser
        var_w = sigma_w * sigma_w + self.tau_squared
        var_l = sigma_l * sigma_l + self.tau_squared
        c_squared = var_w + var_l + self.two_beta_squared
        c = math.sqrt(c_squared)
        t, margin = (mu_w - mu_l) / c, self.draw_margin / c
        v, w = _draw(t, margin) if drawn else _win(t, margin)
        return (
            (mu_w + var_w / c * v, math.sqrt(var_w * (1 - var_w / c_squared * w))),
            (mu_l - var_l / c * v, math.sqrt(var_l * (1 - var_l / c_squared * w))),
        )


def _win(t: float, margin: float) -> tuple[float, float]:
    x = t - margin
    denominator = _cdf(x)
    v = _pdf(x) / denominator if denominator else -x
    return v, v * (v + x)


def _draw(t: float, margin: float) -> tuple[float, float]:
    distance = abs(t)
    a, b = margin - distance, -margin - distance
    denominator = _cdf(a) - _cdf(b)
    v = (_pdf(b) - _pdf(a)) / denominator if denominator else a
    w = v * v + (a * _pdf(a) - b * _pdf(b)) / denominator
    return (-v if t < 0 else v), w
