"""TunecoreSearchCV passes scikit-learn's estimator checks, as GridSearchCV does.

The instances and the two expected failures are those scikit-learn itself uses
for ``RandomizedSearchCV`` (sklearn/utils/_test_common/instance_generator.py):
search estimators neither catch the ``DataConversionWarning`` of a 2-d ``y``
(the inner estimator raises it) nor fail in their own words when ``y`` is None.
"""

from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression, Ridge, SGDClassifier, SGDRegressor
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from tunecore_sklearn import TunecoreSearchCV

EXPECTED_FAILURES = {
    "check_supervised_y_2d": "DataConversionWarning not caught (as in RandomizedSearchCV)",
    "check_requires_y_none": "Doesn't fail gracefully (as in RandomizedSearchCV)",
}


def search(estimator, name, values=(0.1, 1.0), **kwargs):
    return TunecoreSearchCV(estimator, {name: list(values)}, oracle="random", n_trials=2, cv=2,
                            error_score="raise", random_state=0, **kwargs)


@parametrize_with_checks(
    [
        search(LogisticRegression(), "C"),
        search(Pipeline([("pca", PCA()), ("ridge", Ridge())]), "ridge__alpha"),
        # trained step by step with partial_fit, for pruning
        search(SGDClassifier(random_state=0), "alpha", (1e-4, 1e-3), partial_fit_steps=3),
        search(Pipeline([("scale", StandardScaler()), ("sgd", SGDRegressor(random_state=0))]), "sgd__alpha",
               (1e-4, 1e-3), partial_fit_steps=3),
    ],
    expected_failed_checks=lambda estimator: EXPECTED_FAILURES,
)
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)
