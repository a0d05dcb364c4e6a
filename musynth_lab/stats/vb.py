"""Variational Bayes outside deep learning (变分贝叶斯方法): a Bayesian Gaussian mixture.

scikit-learn's ``BayesianGaussianMixture`` puts priors on the mixture's weights, means and
covariances and fits an approximate posterior over them by variational inference
(maximising the evidence lower bound, ELBO). "Variational" names this way of inferring a
posterior; it is not a cheaper stand-in for a statistical model. A visible consequence:
with a Dirichlet-process prior on the weights, components that the data do not need get
weights near zero, so the model chooses how many clusters to use.

Chapter: notebooks/04a_statistical.ipynb
"""

from __future__ import annotations

import numpy as np

from ..errors import check
from .base import Encoder, as_2d_rows, require_fitted

__all__ = ["VBMixture"]


class VBMixture(Encoder):
    """A variational-Bayes Gaussian mixture whose responsibilities encode each row.

    Parameters
    ----------
    n_components : int
        Upper bound on the number of clusters.
    weight_concentration_prior : float
        Small values push unneeded components' weights towards 0.
    covariance_type : {'full', 'diag', 'spherical', 'tied'}
    seed : int
    max_iter : int

    Attributes
    ----------
    model_ : sklearn.mixture.BayesianGaussianMixture

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = np.concatenate([rng.normal(-4, 1, (100, 2)), rng.normal(4, 1, (100, 2))])
    >>> vb = VBMixture(n_components=8, weight_concentration_prior=0.01).fit(X)
    >>> vb.n_effective()                       # of 8 allowed, the data need 2
    2
    >>> vb.encode(X[:3]).shape
    (3, 8)

    Chapter: notebooks/04a_statistical.ipynb
    """

    def __init__(
        self,
        *,
        n_components: int = 10,
        weight_concentration_prior: float = 0.01,
        covariance_type: str = "diag",
        seed: int = 0,
        max_iter: int = 300,
    ):
        check(int(n_components) >= 1, "n_components", n_components, "a positive integer")
        check(
            weight_concentration_prior > 0, "weight_concentration_prior", weight_concentration_prior, "a positive concentration"
        )
        check(
            covariance_type in ("full", "diag", "spherical", "tied"),
            "covariance_type",
            covariance_type,
            "one of 'full', 'diag', 'spherical', 'tied'",
        )
        self.n_components, self.dim = int(n_components), int(n_components)
        self.weight_concentration_prior = float(weight_concentration_prior)
        self.covariance_type, self.seed, self.max_iter = covariance_type, int(seed), int(max_iter)
        self.fitted = False

    def fit(self, X):
        """Fit on rows of ``X`` ``(n, n_features)``. Returns ``self``."""
        # sklearn is imported where used: importing this module (and `import musynth_lab`) stays light
        from sklearn.mixture import BayesianGaussianMixture

        X = as_2d_rows(X, "X")
        check(len(X) >= 2, "X", X, "at least 2 rows")
        self.model_ = BayesianGaussianMixture(
            n_components=self.n_components,
            weight_concentration_prior_type="dirichlet_process",
            weight_concentration_prior=self.weight_concentration_prior,
            covariance_type=self.covariance_type,
            random_state=self.seed,
            max_iter=self.max_iter,
            init_params="kmeans",
        )
        self.model_.fit(X)
        self.n_features_ = X.shape[1]
        self.fitted = True
        return self

    @property
    def weights(self) -> np.ndarray:
        """Posterior mean mixture weights, ``(n_components,)``."""
        require_fitted(self, self.fitted)
        return self.model_.weights_

    def n_effective(self, threshold: float = 0.02) -> int:
        """How many components carry more than ``threshold`` of the weight."""
        return int(np.sum(self.weights > threshold))

    def lower_bound(self) -> float:
        """The ELBO (per sample) the variational fit reached."""
        require_fitted(self, self.fitted)
        return float(self.model_.lower_bound_)

    def predict(self, X) -> np.ndarray:
        """Most responsible component per row, ``(n,)``."""
        require_fitted(self, self.fitted)
        return self.model_.predict(as_2d_rows(X, "X", dim=self.n_features_))

    def _encode(self, X) -> np.ndarray:
        return self.model_.predict_proba(as_2d_rows(X, "X", dim=self.n_features_))
