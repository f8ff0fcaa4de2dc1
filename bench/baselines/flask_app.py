"""The seeds' stack as they deployed it: a Flask app serving scikit-learn, under gunicorn.

    SEED_BUNDLE_DIR=artifacts/disaster-tweets SEED_TRAIN_CSV=../shared/data/disaster-tweets/train.csv \
        gunicorn -w 2 -b 127.0.0.1:5000 --chdir bench/baselines flask_app:app

The model is trained when the module is imported (each gunicorn worker trains its own copy, as
the seeds' app.py did). POST /predict takes the same JSON as Sift: one row {"text": ...} or
{"instances": [row, ...]}; GET /ready answers 200 once the worker is up.
"""

from flask import Flask, jsonify, request

from seed_model import load_from_environment

model = load_from_environment()
app = Flask(__name__)


def _rows_or_error(body):
    if not isinstance(body, dict):
        return None, "expected a JSON object"
    rows = body["instances"] if "instances" in body else [body]
    if not isinstance(rows, list) or not rows:
        return None, "instances must be a non-empty list"
    for row in rows:
        if not isinstance(row, dict) or not all(isinstance(v, str) for v in row.values()):
            return None, "every row must be an object of strings"
    return rows, None


@app.get("/ready")
def ready():
    return jsonify(status="ready", model=model.name, trained_on=model.trained_on, stemming=model.stemming)


@app.post("/predict")
def predict():
    body = request.get_json(force=True, silent=True)
    rows, error = _rows_or_error(body)
    if error:
        return jsonify(error=error), 400
    answers = model.predict(rows)
    if "instances" in body:
        return jsonify(predictions=answers)
    return jsonify(answers[0])
