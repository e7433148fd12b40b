from nb import md, code

md(r'''
## Will the user like it? Wide & Deep and DeepFM

Wide & Deep and DeepFM were built for click-through prediction: given a user, an item and their
features, the probability of a click. MovieLens has no clicks, so the chapter asks the nearest
question it can answer: for a rating in the test set, did the user *like* the film (a rating of
4 or 5, 55 % of the ratings)? Every (user, film) pair is described by **fields**, each with one or
more active **features** $x_f = 1$: the user's id, age group, gender and occupation; the film's id,
decade, genres (several) and the knowledge-graph entities linked to at least 10 films (actors,
directors, companies, ...; several). Four models give a logit $\hat x$ and $P(\text{like}) = \sigma(\hat x)$:

- **logistic regression**: $\hat x = w_0 + \sum_f w_f x_f$, one weight per feature;
- **factorisation machine** {footcite}`rendle2010fm`: adds every pair of features,
  $\sum_{f<g} \langle v_f, v_g \rangle x_f x_g$, each feature with a vector $v_f$; the pairwise
  sum costs $O(kn)$ as $\tfrac12 \sum_k \big[(\sum_f v_{fk} x_f)^2 - \sum_f v_{fk}^2 x_f^2\big]$;
- **Wide & Deep**: $P(\text{like}) = \sigma\big(w_{\text{wide}}^\top [x, \phi(x)] + w_{\text{deep}}^\top a^{(L)} + b\big)$,
  a linear *wide* part over the raw features $x$ and hand-made **cross-product features**
  $\phi(x)$ (here gender × genre and occupation × genre: "a woman and a war film"), and a *deep*
  MLP whose last activation $a^{(L)}$ is computed from the fields' embeddings, trained jointly;
- **DeepFM**: $\hat x = y_{\text{FM}} + y_{\text{MLP}}$, a factorisation machine and an MLP that share
  the feature vectors, so no crosses are made by hand.

The FM's $O(kn)$ identity, checked against the sum over all pairs, and the library's encoding of
one pair:
''')

code(r'''
from recsys_lite.models.ctr import (DeepFM, FactorizationMachine, LogisticRegression, WideAndDeep, click_fields,
                                    fm_pairwise)

v, x = torch.randn(1, 5, 3, dtype=torch.float64), torch.tensor([[1.0, 1.0, 0.0, 1.0, 1.0]], dtype=torch.float64)
all_pairs = sum((v[0, a] @ v[0, b]) * x[0, a] * x[0, b] for a in range(5) for b in range(a + 1, 5))
fast = 0.5 * (((v * x[..., None]).sum(dim=1) ** 2) - ((v * x[..., None]) ** 2).sum(dim=1)).sum()
assert torch.isclose(all_pairs, fast) and torch.isclose(fast, fm_pairwise(v, x)[0])
print(f"sum over all pairs {all_pairs.item():.6f}; the O(kn) form {fast.item():.6f}")

facts = load_knowledge_graph(data)
fields = click_fields(data, facts, min_films=10)
index, value = fields.pairs(np.array([0]), np.array([0]))
print(f"{fields.n_features:,} features in {len(fields.fields)} fields; the pair (user 0, item 0), "
      f"that is user {data.users['user_id'].iloc[0]} and {data.items['title'].iloc[0]}:")
print(", ".join(fields.names[j] for j, x in zip(index[0], value[0]) if x))
''')
