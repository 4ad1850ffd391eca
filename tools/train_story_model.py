#!/usr/bin/env python3
"""Fits the story tier's join decision (data/story_model.json) from teacher-forced training pairs.

    cargo run --release --bin cluster-eval -- --data ../shared/data/clustering/gva_dev.jsonl \
        --train-pairs target/eval/pairs_dev.csv
    python3 tools/train_story_model.py target/eval/pairs_dev.csv data/story_model.json [--c 1.0]

Each row is one (article, candidate story) pair with the engine's evidence (src/cluster/model.rs)
and label 1 when the candidate is the article's gold story. A plain L2-regularised logistic
regression on standardised features; the weights are mapped back to the raw feature space so the
engine evaluates `bias + w.x` directly. The decision threshold is not tuned here: the engine joins
when the log-odds are >= 0 (+ `join_bias`); the offset that makes 0 the right threshold is selected on
gva_val with cluster-eval (`--set 'join_bias = ...'`) and folded into the bias with `--offset`.
"""
import argparse, csv, json, sys
import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

ap = argparse.ArgumentParser()
ap.add_argument('pairs')
ap.add_argument('out')
ap.add_argument('--c', type=float, default=1.0, help='inverse L2 strength')
ap.add_argument('--drop', default='', help='comma-separated features fixed at weight 0 (ablation)')
ap.add_argument('--offset', type=float, default=0.0,
                help='added to the fitted bias: the join log-odds threshold selected on gva_val (cluster-eval --set join_bias = ...)')
ap.add_argument('--note', default='gva_dev.jsonl, teacher-forced pairs')
a = ap.parse_args()

with open(a.pairs) as f:
    r = csv.reader(f)
    header = next(r)
    names = header[4:]
    rows = list(r)
X = np.array([[float(v) for v in row[4:]] for row in rows])
y = np.array([int(row[3]) for row in rows])
drop = {d for d in a.drop.split(',') if d}
keep = [i for i, n in enumerate(names) if n not in drop]
sc = StandardScaler().fit(X[:, keep])
lr = LogisticRegression(C=a.c, max_iter=5000).fit(sc.transform(X[:, keep]), y)
w = np.zeros(len(names))
w[keep] = lr.coef_[0] / sc.scale_
bias = float(lr.intercept_[0] - np.sum(lr.coef_[0] * sc.mean_ / sc.scale_)) + a.offset
p = lr.predict_proba(sc.transform(X[:, keep]))[:, 1]
acc = float(np.mean((p >= 0.5) == y))
json.dump({'trained_on': f'{a.note}; {len(y)} pairs, {int(y.sum())} positive; C={a.c}; bias offset {a.offset} selected on gva_val.jsonl; dropped={sorted(drop)}',
           'features': names, 'weights': [round(float(v), 6) for v in w], 'bias': round(bias, 6)},
          open(a.out, 'w'), indent=1)
print(f'{len(y)} pairs ({int(y.sum())} positive), training accuracy {acc:.4f}', file=sys.stderr)
std = np.zeros(len(names)); std[keep] = lr.coef_[0]
for n, v, s in zip(names, w, std):
    print(f'  {n:22s} raw {v:+9.4f}   standardised {s:+7.3f}', file=sys.stderr)
print(f'  {"bias":22s} raw {bias:+9.4f}', file=sys.stderr)
