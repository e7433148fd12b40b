from nb import md, code

md(r'''
## Two towers and a cosine: DSSM, DSPR and MV-DNN

DSSM was made for web search: a query tower and a document tower map their texts to vectors
$y_Q$ and $y_D$, relevance is their cosine, and training maximises the probability of the clicked
document against a few random unclicked ones, a softmax over cosines sharpened by a smoothing
factor $\gamma$:

$$
P(i^+ \mid u) = \frac{\exp\big(\gamma \cos(y_u, y_{i^+})\big)}{\sum_{j \in \{i^+\} \cup \mathcal N} \exp\big(\gamma \cos(y_u, y_j)\big)},
\qquad L = -\sum_{(u, i^+)} \log P(i^+ \mid u).
$$

For recommendation the query is the user. **DSPR** puts users and films in one *tag space*: a
film's input is its tags (here its genres and knowledge-graph entities, chapter 4's profile), a
user's is the mean tag vector of the films they rated, and each tower is an MLP (tanh layers, as
in DSSM); the loss is the one above with sampled negatives. Without any id, DSPR can score a film
nobody has rated. **DSSM** here adds an embedding of the user's and the film's id to the towers'
inputs. **MV-DNN** shares one user tower among several item *domains*, each with its own item
tower; a user who is active in one domain carries what the shared tower learned to the others.

The loss by hand for one user, one positive and two negatives, against the library's:
''')

code(r'''
from recsys_lite.models.dssm import DSSM, dssm_loss

y_u = torch.tensor([[0.6, 0.8]])
y_items = torch.tensor([[[1.0, 1.0], [1.0, 0.2], [-0.3, 0.9]]])        # the positive first, then two negatives
cosines = (y_items[0] @ y_u[0]) / (y_items[0].norm(dim=1) * y_u[0].norm())
gamma = 5.0
by_hand = -torch.log(torch.exp(gamma * cosines[0]) / torch.exp(gamma * cosines).sum())
print("cosines", cosines.numpy().round(3), f"; -log P(positive | user) = {by_hand.item():.4f}")
assert torch.isclose(by_hand, dssm_loss(y_u, y_items, gamma))
''')
