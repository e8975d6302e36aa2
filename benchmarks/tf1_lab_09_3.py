"""The anchor of ``bench_width.py``: lab 9-3, the wide and deep net 2-10-10-10-1, as the course's TensorFlow 1
programs do it: the program of ``tf1_lab_09_2.py`` (TF1 graph and session, N(0, 1) weights, BCE, gradient
descent lr 0.1, 10,001 steps, the cost every 1000 steps, the final accuracy) with three hidden layers of 10."""

from tf1_lab_09_2 import main

if __name__ == "__main__":
    main(hidden=(10, 10, 10))
