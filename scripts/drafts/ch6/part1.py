from nb import md, code

md(r'''
# 6. Deep learning for recommendation: MLP models

Chapters 3 to 5 built recommenders from neighbourhoods, factor models and features. The overview
now turns to deep learning, and lists its promises: neural networks model **non-linear**
interactions, **learn representations** from raw descriptions of users and items, model
**sequences**, and are **flexible** building blocks; and its costs: they are hard to
**interpret**, they **need data**, and they have many **hyper-parameters** to tune. This chapter
measures those claims on the book's data instead of repeating them, with the simplest neural
building block, the multilayer perceptron (MLP), in four well-known models:

| model | task | the idea |
|---|---|---|
| NCF: GMF, MLP, NeuMF {footcite}`he2017ncf` | top-n from implicit feedback | replace MF's dot product by a learned function of the two embeddings |
| Wide & Deep {footcite}`cheng2016wide` | will the user like it? (click-through) | a linear model over hand-made feature crosses, plus an MLP over embeddings |
| DeepFM {footcite}`guo2017deepfm` | the same | a factorisation machine and an MLP sharing the embeddings: no crosses by hand |
| DSSM {footcite}`huang2013dssm`, DSPR {footcite}`xu2016dspr`, MV-DNN {footcite}`elkahky2015mvdnn` | top-n retrieval | two towers compared by cosine, trained with a softmax over negatives |

The pattern, for this chapter and the three deep chapters after it: each model's core (its
forward pass and its loss) is written here in a few lines and checked against the library's
version (`recsys_lite.models.ncf`, `.ctr`, `.dssm`); then the library's model is trained with the
shared loop (`recsys_lite.train`: seeded batches, a progress bar, early stopping on validation
data) and compared, on the same split and protocol, with the book's baselines: popularity,
item-kNN, BPR matrix factorisation and chapter 3's iALS. Hyper-parameters are chosen on
validation data carved from the training set, never on the test set.
''')

code(r'''
import time

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import torch

from recsys_lite import load_movielens_100k
from recsys_lite.data import RELATION_GROUPS, item_features, load_knowledge_graph
from recsys_lite.evaluation import bootstrap_interval, evaluate, paired_difference
from recsys_lite.models import ImplicitMF, ItemKNN, Popularity
from recsys_lite.models.bpr import BPRMF
from recsys_lite.models.ncf import NCF, bce_loss
from recsys_lite.results import compare_and_record
from recsys_lite.split import leave_last_out, per_user_split, random_split
from recsys_lite.train import negative_items

data = load_movielens_100k()
loo = leave_last_out(data, n=1)                            # the NCF paper's split: each user's latest rating
split = random_split(data, test_size=0.2, seed=0)          # the book's split (chapter 3), for the click models
train = split.train
print(loo, "\n", split, sep="")
''')

md(r'''
## Neural collaborative filtering

He et al. treat every rating as an interaction ($y_{ui} = 1$) and every other pair as a possible
non-interaction. A model outputs a probability $\hat y_{ui} = \sigma(x_{ui})$ that user $u$
interacts with item $i$, and is trained by binary cross-entropy over the interactions
$\mathcal Y$ and a sample $\mathcal Y^-$ of non-interactions, a few per interaction, drawn
afresh every epoch:

$$
L = -\sum_{(u,i) \in \mathcal{Y} \cup \mathcal{Y}^-} \Big[ y_{ui} \log \hat y_{ui} + (1 - y_{ui}) \log\big(1 - \hat y_{ui}\big) \Big].
$$

The three networks differ only in the logit $x_{ui}$ they compute from a user's embedding
$p_u$ and an item's $q_i$ (with $h$ the output weights and $\phi_l(z) = \mathrm{ReLU}(W_l z + b_l)$):

- **GMF** (generalised MF): $x_{ui} = h^\top (p_u \odot q_i)$. With $h = \mathbf 1$ this is MF's
  dot product; GMF learns a weight per factor.
- **MLP**: $x_{ui} = h^\top \phi_L(\cdots \phi_1([p_u; q_i]))$, a tower of layers over the
  concatenated embeddings, each half as wide as the one before.
- **NeuMF**: both, with separate embeddings, concatenated before the output:
  $x_{ui} = h^\top [\, p^G_u \odot q^G_i \,;\, \phi_L(\cdots [p^M_u; q^M_i]) \,]$.

The three forward passes and the loss, in torch, on random weights; then the library's
`NCFNet` with the same weights must give the same logits:
''')

code(r'''
rng = np.random.default_rng(0)
t = lambda a: torch.tensor(a, dtype=torch.float32)
n_users, n_items, f = 4, 6, 3                              # f: GMF's factors; the MLP's layers are 4 -> 2
P_g, Q_g = t(rng.normal(size=(n_users, f))), t(rng.normal(size=(n_items, f)))
P_m, Q_m = t(rng.normal(size=(n_users, 2))), t(rng.normal(size=(n_items, 2)))
W1, b1, W2, b2 = t(rng.normal(size=(4, 4))), t(rng.normal(size=4)), t(rng.normal(size=(2, 4))), t(rng.normal(size=2))
h_gmf, h_mlp, h, b = t(rng.normal(size=f)), t(rng.normal(size=2)), t(rng.normal(size=f + 2)), 0.1

u, i = torch.tensor([0, 0, 1, 3]), torch.tensor([2, 5, 5, 0])        # four (user, item) pairs
y = torch.tensor([1.0, 0.0, 1.0, 0.0])                                # an interaction, then not, ...
gmf = (P_g[u] * Q_g[i]) @ h_gmf + b
tower = torch.relu(torch.relu(torch.cat([P_m[u], Q_m[i]], dim=1) @ W1.T + b1) @ W2.T + b2)
mlp = tower @ h_mlp + b
neumf = torch.cat([P_g[u] * Q_g[i], tower], dim=1) @ h + b
loss = -(y * torch.log(torch.sigmoid(neumf)) + (1 - y) * torch.log(1 - torch.sigmoid(neumf))).mean()
print("NeuMF logits", neumf.numpy().round(3), f"; binary cross-entropy {loss:.4f}")
''')

code(r'''
from recsys_lite.models.ncf import NCFNet

library = {}
for kind in ("gmf", "mlp", "neumf"):
    net = NCFNet(n_users, n_items, kind, f, (4, 2))
    with torch.no_grad():
        if kind != "mlp":
            net.user_gmf.weight.copy_(P_g), net.item_gmf.weight.copy_(Q_g)
        if kind != "gmf":
            net.user_mlp.weight.copy_(P_m), net.item_mlp.weight.copy_(Q_m)
            net.tower[0].weight.copy_(W1), net.tower[0].bias.copy_(b1), net.tower[1].weight.copy_(W2), net.tower[1].bias.copy_(b2)
        net.output.weight.copy_({"gmf": h_gmf, "mlp": h_mlp, "neumf": h}[kind][None, :]), net.output.bias.fill_(b)
        library[kind] = net(u, i)
for kind, ours in (("gmf", gmf), ("mlp", mlp), ("neumf", neumf)):
    assert torch.allclose(library[kind], ours, atol=1e-6), kind
assert torch.isclose(bce_loss(library["neumf"], y), loss)
print("the library's GMF, MLP and NeuMF give the same logits, and its loss the same value")
''')

md(r'''
Negatives are sampled without a loop over ratings: draw an item uniformly for every slot at once,
look up which draws hit an item the user has interacted with (a vectorised search in the sparse
rating matrix), and redraw only those. `negative_items` does that, and never returns an
interaction:
''')

code(r'''
seen = loo.train.to_csr(binary=True)
users = np.repeat(np.arange(data.n_users), 4 * np.diff(seen.indptr))     # 4 negatives per training rating
start = time.perf_counter()
drawn = negative_items(seen, users, np.random.default_rng(0))
took = time.perf_counter() - start
print(f"{len(drawn):,} negatives in {took:.2f} s; interactions among them: {int(seen[users, drawn].sum())}")
assert seen[users, drawn].sum() == 0
''')
