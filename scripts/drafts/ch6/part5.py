from nb import md, code

md(r'''
:::{note} Corrections to the overview
- **NCF's loss.** The overview writes the cross-entropy with a misplaced parenthesis,
  $r_{ui}\log\hat r_{ui} + (1 - r_{ui}\log(1 - \hat r_{ui}))$. It is
  $-\sum [\,y_{ui}\log \hat y_{ui} + (1 - y_{ui}) \log(1 - \hat y_{ui})\,]$ over the interactions and the
  sampled non-interactions (He et al., eq. 7), as implemented and checked above.
- **Wide & Deep's output.** The overview's formula misplaces its brackets. The model is
  $P(y = 1 \mid x) = \sigma\big(w_{\text{wide}}^\top [x, \phi(x)] + w_{\text{deep}}^\top a^{(l_f)} + b\big)$,
  and a deep layer is $a^{(l+1)} = f(W^{(l)} a^{(l)} + b^{(l)})$ (the overview drops $a^{(l)}$).
- **DSPR's loss** is garbled in the overview. With $R(u, i)$ the cosine of the two towers' outputs,
  it is $L = -\sum_{(u, i^+)} \log \frac{\exp(R(u, i^+))}{\sum_{i' \in \{i^+\} \cup \mathcal N_u} \exp(R(u, i'))}$,
  a softmax over the positive film and the sampled negatives, the same as DSSM's with its
  smoothing factor $\gamma$.
- **MV-DNN's objective** is written as the arg min of a probability; it maximises the
  probability of each user's positive items in each view (minimises the negative log of it),
  $\arg\max_\theta \sum_j \log \frac{\exp(\gamma \cos(Y_u, f_j(X_j)))}{\sum_{X'} \exp(\gamma \cos(Y_u, f_a(X')))}$,
  with $f_j$ the tower of view $j$.
- **Citations.** The overview's references for NCF, DeepFM, Wide & Deep and DSSM point at later
  papers; the originals are He et al. (2017), Guo et al. (2017), Cheng et al. (2016) and Huang
  et al. (2013), cited here.
:::

## Pitfalls

- **Sampled metrics flatter and reorder.** Report full-ranking numbers; if a paper's sampled
  protocol is reproduced, say so next to the number.
- **A neural model is not tuned by default, and neither is a baseline.** NeuMF's size and
  negatives, and the towers' settings, were chosen here on validation data; the baselines'
  settings come from the chapters that tuned them (chapter 3 tuned iALS). A comparison against an
  untuned baseline says nothing about the neural model.
- **Indexing in torch is slow to differentiate on a CPU.** Its backward pass sorts the indices;
  looking rows up with `recsys_lite.train.lookup` (whose backward is a single `index_add_`)
  instead of `table[index]` made the towers' training several times faster here. Profile before
  buying a bigger machine.
- **Negatives must be negatives.** A "negative" the user actually rated teaches the model the
  opposite of the truth; `negative_items` redraws until none is.
''')
