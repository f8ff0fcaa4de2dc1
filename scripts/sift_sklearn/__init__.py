"""Export fitted scikit-learn text classifiers as Sift model bundles (docs/bundle-format.md).

Python API
----------
    from sift_sklearn import export_bundle

    result = export_bundle(
        pipeline,                 # fitted Pipeline (or a fitted GridSearchCV: its best_estimator_)
        "artifacts/disaster-tweets",
        name="disaster-tweets",   # lowercase letters, digits, . _ - (max 64)
        title="Disaster tweets",  # default: name
        description="Is this tweet about a real disaster?",
        class_names={0: "Not a disaster", 1: "Real disaster"},  # or a list in class order, or "0=A,1=B"
        inputs={"text": "Tweet", "keyword": "Keyword"},         # {field: label} or
                                  # {field: {"label", "required", "multiline", "example"}} or a list of
                                  # such dicts with "name"; default label = field name, the first field
                                  # required + multiline, example = the first example's value
        examples=[{"title": "Wildfire", "inputs": {"text": "...", "keyword": "wildfire"}}],
        golden_inputs=[{"text": "...", "keyword": ""}],  # sklearn's outputs for these go in the card;
                                  # default None: the built-in set (golden.py), [] for none
        metrics=None,             # card.metrics (dict, see the format doc) or None
        data=None,                # {"file", "sha256", "rows"} or None
        training=None,            # free-form dict (search, folds, best params...)
        created_at=None,          # default: now (UTC); fixtures pass a fixed value
        positive_class=None,      # binary only (default 1)
        threshold=None,           # binary only (default 0.5)
    )
    # result: {"out_dir", "files", "width", "fields", "task", "classes", "output",
    #          "post_transform", "estimator"}

Raises `UnsupportedModelError` (a ValueError) naming the part of the pipeline Sift cannot reproduce
exactly, and ValueError for bad arguments. Re-exporting the same pipeline with the same arguments
writes byte-identical files apart from card.created_at.

Classifiers: the linear ones of classifiers.py (classifier.json kind linear, served in-process and
by ONNX) and the non-linear ones of nonlinear.py (trees, boosting, XGBoost, MLP, soft voting;
kind onnx, served by ONNX only). HistGradientBoosting needs a `Densify()` step before it.

Supported pipelines: Pipeline([vectorizer, classifier]), Pipeline([CountVectorizer,
TfidfTransformer, classifier]), Pipeline([FeatureUnion([...]), classifier]) and
Pipeline([ColumnTransformer([(name, vectorizer, "column"), ...]), classifier]); see
vectorizers.py and classifiers.py for the exact lists, patterns.py for token patterns and
stem.py for the stemming tokenizer (SiftStemTokenizer, prime).
"""
from .bundle import FORMAT_VERSION, ExportResult, export_bundle, inspect_pipeline
from .densify import Densify
from .errors import UnsupportedModelError
from .patterns import UnsupportedPatternError, check_token_pattern
from .stem import SiftStemTokenizer, StemmerUnavailableError, prime

__all__ = [
    "Densify",
    "FORMAT_VERSION",
    "ExportResult",
    "SiftStemTokenizer",
    "StemmerUnavailableError",
    "UnsupportedModelError",
    "UnsupportedPatternError",
    "check_token_pattern",
    "export_bundle",
    "inspect_pipeline",
    "prime",
]
