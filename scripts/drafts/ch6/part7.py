from nb import md, code, written, task

task("ch6-ex4", r'''
### Exercise 6.4: NeuMF or iALS? (written answer, 2 points)

Your team proposes to replace iALS with NeuMF because "the NCF paper shows it is better, and deep
learning captures non-linear tastes". Using what this chapter measured, say what you would answer,
and what experiment you would run on your own data before deciding.
''')
written("ch6-ex4", r'''
:::{admonition} A model answer (for the instructor: students write their own answer in this cell)
:class: dropdown

On this chapter's measurements NeuMF did not beat iALS: under full ranking, the protocol that
resembles a real recommendation, iALS was ahead by an interval that excludes zero, and NeuMF took
several times longer to train and needed a sweep of its settings. The paper's gains were measured with sampled negatives, which flatter every model and
can reorder them, and against less tuned baselines. The non-linearity argument cuts both ways:
the MLP needed a hundred thousand examples to approximate the dot product that MF computes for
free.

Before deciding: split our own logs the way they will be used (by time, hold out each user's
latest interactions), tune both models on a validation split carved from training, and compare
them on full ranking with paired bootstrap intervals, together with training and serving cost.

Grading: one point for using the measurements (protocol, tuned baseline, cost); one point for a
sound experiment (full ranking, validation-only tuning, intervals).
:::
''', 2)

md(r'''
## References

```{footbibliography}
```
''')
