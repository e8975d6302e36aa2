"""The anchor of ``bench_run.py``: lab 9-2 as the TensorFlow 1 programs of the course do it, from its description.

A 2-2-1 sigmoid net on XOR, weights and biases drawn from N(0, 1), binary cross-entropy, full-batch gradient
descent with learning rate 0.1 for 10,001 steps in a TF1 graph and session (``tf.compat.v1``); prints the cost
every 1000 steps and the final accuracy. Run by ``anchor.py`` with an interpreter that has TensorFlow, never by
xorjax or its tests: ``/work/venv-tf/bin/python benchmarks/tf1_lab_09_2.py``.
"""

import numpy as np
import tensorflow.compat.v1 as tf

tf.disable_v2_behavior()


def main(hidden=(2,)) -> None:
    x_data = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32)
    y_data = np.array([[0], [1], [1], [0]], dtype=np.float32)
    X = tf.placeholder(tf.float32, [None, 2])
    Y = tf.placeholder(tf.float32, [None, 1])

    layer = X
    for n_in, n_out in zip([2, *hidden], [*hidden, 1]):
        W = tf.Variable(tf.random_normal([n_in, n_out]))
        b = tf.Variable(tf.random_normal([n_out]))
        layer = tf.sigmoid(tf.matmul(layer, W) + b)
    hypothesis = layer

    cost = -tf.reduce_mean(Y * tf.log(hypothesis) + (1 - Y) * tf.log(1 - hypothesis))
    train = tf.train.GradientDescentOptimizer(learning_rate=0.1).minimize(cost)
    predicted = tf.cast(hypothesis > 0.5, tf.float32)
    accuracy = tf.reduce_mean(tf.cast(tf.equal(predicted, Y), tf.float32))

    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for step in range(10001):
            _, c = sess.run([train, cost], feed_dict={X: x_data, Y: y_data})
            if step % 1000 == 0:
                print(step, c)
        h, p, a = sess.run([hypothesis, predicted, accuracy], feed_dict={X: x_data, Y: y_data})
        print("\nHypothesis:", h.ravel(), "\nCorrect:", p.ravel(), "\nAccuracy:", a)


if __name__ == "__main__":
    main()
