"""examples/rnn_notes.lam against the notes' formula, computed here by hand.

  rnn_notes_check.py DESCRIPTOR.json INPUT.csv OUTPUT.npy

The weights are read from the model's descriptor (the values written in the
model file); for every record x (4 steps of 2 features) it computes
  h_0 = 0,  h_t = tanh(U x_t + W h_{t-1} + b_a),  o_t = softmax(V h_t + b_y)
in float64 with plain loops (no library RNN), in the notes' column
convention: the model's matrices are their transposes. Prints the largest
difference from the executable's output; exits 1 above 1e-5.
"""
import json
import math
import sys

import numpy as np


def main():
    desc, csv, out = sys.argv[1:4]
    with open(desc) as f:
        params = {p["name"]: np.array(p["init"]["data"]).reshape(p["shape"])
                  for p in json.load(f)["params"]}
    # The notes' U x_t is our x_t U: their U, W, V are these transposed.
    U, W, V = params["U"].T, params["W"].T, params["V"].T
    b_a, b_y = params["b_a"], params["b_y"]
    got = np.load(out)
    worst = 0.0
    rows = [list(map(float, line.split(","))) for line in open(csv)
            if line.strip()]
    for r, row in enumerate(rows):
        xs = [row[2 * t:2 * t + 2] for t in range(4)]
        h = [0.0] * 3
        for t, x in enumerate(xs):
            h = [math.tanh(sum(U[i][k] * x[k] for k in range(2)) +
                           sum(W[i][j] * h[j] for j in range(3)) + b_a[i])
                 for i in range(3)]
            s = [sum(V[i][j] * h[j] for j in range(3)) + b_y[i]
                 for i in range(2)]
            e = [math.exp(v - max(s)) for v in s]
            o = [v / sum(e) for v in e]
            for i in range(2):
                worst = max(worst, abs(o[i] - float(got[r, t, i])))
    print("rnn_notes: %d records, max |o - formula| = %.3g" % (len(rows),
                                                              worst))
    sys.exit(0 if worst <= 1e-5 else 1)


main()
