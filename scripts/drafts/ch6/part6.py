from nb import md, code, task, answer, check, written

md(r'''
## Exercises

Each autograded exercise has a cell for your answer and one or more cells of checks, each a
graded part worth the points it shows; run them all. Some checks are hidden: they run only when
your work is graded, so passing the visible ones is not the whole grade, and every check builds
what it needs itself, so your own variable names cannot break it. The last exercise is a short
written answer, graded by hand. (On the website the solutions are folded away: try first, then
click to compare.)
''')

task("ch6-ex1", r'''
### Exercise 6.1: GMF's forward pass (3 points)

A GMF model with three factors has these embeddings for two users and four films, output weights
`h` and bias `b`:

    P = [[0.5, -1.0, 0.2], [1.0, 0.3, -0.4]]                       # users x factors
    Q = [[0.8, 0.1, 1.5], [-0.2, 0.9, 0.3], [0.4, -0.6, 1.0], [1.2, 0.0, -0.5]]   # films x factors
    h = [1.5, -0.5, 2.0]        b = -0.3

With numpy (not the library), store GMF's probability $\hat y_{ui} = \sigma(h^\top (p_u \odot q_i) + b)$
for every user and film as `probabilities` (a 2 x 4 array), and each user's best film as `best`
(a list of two film positions). Watch out for: MF's plain dot product $p_u^\top q_i$ (GMF weighs
each factor by $h$), and forgetting the sigmoid.
''')
answer("ch6-ex1", r'''
P = np.array([[0.5, -1.0, 0.2], [1.0, 0.3, -0.4]])
Q = np.array([[0.8, 0.1, 1.5], [-0.2, 0.9, 0.3], [0.4, -0.6, 1.0], [1.2, 0.0, -0.5]])
h, b = np.array([1.5, -0.5, 2.0]), -0.3
### BEGIN SOLUTION
logits = (P[:, None, :] * Q[None, :, :]) @ h + b
probabilities = 1 / (1 + np.exp(-logits))
best = [int(i) for i in probabilities.argmax(axis=1)]
### END SOLUTION
print(np.round(probabilities, 3), best)
''', ["probabilities", "best"], wrong=r'''
P = np.array([[0.5, -1.0, 0.2], [1.0, 0.3, -0.4]])
Q = np.array([[0.8, 0.1, 1.5], [-0.2, 0.9, 0.3], [0.4, -0.6, 1.0], [1.2, 0.0, -0.5]])
h, b = np.array([1.5, -0.5, 2.0]), -0.3
probabilities = 1 / (1 + np.exp(-(P @ Q.T + b)))
best = [int(i) for i in probabilities.argmax(axis=1)]
''', mistakes=[("MF's plain dot product, without h", r'''
P = np.array([[0.5, -1.0, 0.2], [1.0, 0.3, -0.4]])
Q = np.array([[0.8, 0.1, 1.5], [-0.2, 0.9, 0.3], [0.4, -0.6, 1.0], [1.2, 0.0, -0.5]])
h, b = np.array([1.5, -0.5, 2.0]), -0.3
probabilities = 1 / (1 + np.exp(-(P @ Q.T + b)))
best = [int(i) for i in probabilities.argmax(axis=1)]
'''), ("forgets the sigmoid", r'''
P = np.array([[0.5, -1.0, 0.2], [1.0, 0.3, -0.4]])
Q = np.array([[0.8, 0.1, 1.5], [-0.2, 0.9, 0.3], [0.4, -0.6, 1.0], [1.2, 0.0, -0.5]])
h, b = np.array([1.5, -0.5, 2.0]), -0.3
probabilities = (P[:, None, :] * Q[None, :, :]) @ h + b
best = [int(i) for i in probabilities.argmax(axis=1)]
''')])
check("ch6-ex1", "probabilities", r'''
assert np.shape(probabilities) == (2, 4), "probabilities: one row per user, one column per film"
### BEGIN HIDDEN TESTS
_P = np.array([[0.5, -1.0, 0.2], [1.0, 0.3, -0.4]])
_Q = np.array([[0.8, 0.1, 1.5], [-0.2, 0.9, 0.3], [0.4, -0.6, 1.0], [1.2, 0.0, -0.5]])
_expected = 1 / (1 + np.exp(-((_P[:, None, :] * _Q[None, :, :]) @ np.array([1.5, -0.5, 2.0]) - 0.3)))
assert np.allclose(probabilities, _expected), "probabilities: sigmoid of h . (p_u * q_i) + b, element-wise product weighed by h"
### END HIDDEN TESTS
''', 2)
check("ch6-ex1", "best", r'''
assert len(best) == 2 and all(0 <= int(i) < 4 for i in best), "best: one film position (0 to 3) per user"
### BEGIN HIDDEN TESTS
_P = np.array([[0.5, -1.0, 0.2], [1.0, 0.3, -0.4]])
_Q = np.array([[0.8, 0.1, 1.5], [-0.2, 0.9, 0.3], [0.4, -0.6, 1.0], [1.2, 0.0, -0.5]])
_logits = (_P[:, None, :] * _Q[None, :, :]) @ np.array([1.5, -0.5, 2.0]) - 0.3
assert [int(i) for i in best] == [int(i) for i in _logits.argmax(axis=1)], "best: the film with the highest GMF score, per user"
### END HIDDEN TESTS
''', 1)

task("ch6-ex2", r'''
### Exercise 6.2: a rank under the sampled protocol (3 points)

Write `sampled_metrics(positive, negatives, k=10)`: `positive` is a model's score for a user's
held-out film, `negatives` the scores of the sampled films the user never rated. Return the
tuple `(rank, hit, ndcg)`: the held-out film's rank among them (1 is the top; a negative with
the *same* score counts as ahead of it, as `evaluate(sampled=True)` counts ties against the
model), whether the rank is within the top `k` (a bool), and its NDCG@k, $1 / \log_2(\text{rank} + 1)$
within the top k and 0 outside. Use numpy, no loop. Watch out for: ties counted in the model's
favour, a rank that starts at 0, the natural logarithm, and an NDCG that is not 0 beyond k.
''')
answer("ch6-ex2", r'''
### BEGIN SOLUTION
def sampled_metrics(positive, negatives, k=10):
    rank = 1 + int((np.asarray(negatives) >= positive).sum())
    hit = rank <= k
    return rank, hit, (1 / np.log2(rank + 1)) if hit else 0.0
### END SOLUTION
print(sampled_metrics(0.8, np.array([0.9, 0.8, 0.1, 0.5])))
''', ["sampled_metrics"], wrong=r'''
def sampled_metrics(positive, negatives, k=10):
    rank = 1 + int((np.asarray(negatives) > positive).sum())
    hit = rank <= k
    return rank, hit, (1 / np.log2(rank + 1)) if hit else 0.0
''', mistakes=[("counts ties in the model's favour", r'''
def sampled_metrics(positive, negatives, k=10):
    rank = 1 + int((np.asarray(negatives) > positive).sum())
    hit = rank <= k
    return rank, hit, (1 / np.log2(rank + 1)) if hit else 0.0
'''), ("a rank that starts at 0", r'''
def sampled_metrics(positive, negatives, k=10):
    rank = int((np.asarray(negatives) >= positive).sum())
    hit = rank < k
    return rank, hit, (1 / np.log2(rank + 2)) if hit else 0.0
'''), ("the natural logarithm", r'''
def sampled_metrics(positive, negatives, k=10):
    rank = 1 + int((np.asarray(negatives) >= positive).sum())
    hit = rank <= k
    return rank, hit, (1 / np.log(rank + 1)) if hit else 0.0
'''), ("an NDCG that is not 0 beyond k", r'''
def sampled_metrics(positive, negatives, k=10):
    rank = 1 + int((np.asarray(negatives) >= positive).sum())
    return rank, rank <= k, 1 / np.log2(rank + 1)
''')])
check("ch6-ex2", "rank", r'''
assert len(sampled_metrics(0.5, np.array([0.1, 0.9]))) == 3, "sampled_metrics: returns (rank, hit, ndcg)"
### BEGIN HIDDEN TESTS
_rng = np.random.default_rng(5)
for _pos, _neg in ((0.7, np.array([0.7, 0.2, 0.9, 0.7])), (0.1, _rng.random(99)), (2.0, _rng.random(99))):
    assert sampled_metrics(_pos, _neg)[0] == 1 + int((_neg >= _pos).sum()), \
        "rank: 1 plus the number of negatives scored at least as high (ties count against the model)"
### END HIDDEN TESTS
''', 1)
check("ch6-ex2", "ndcg", r'''
_r, _h, _n = sampled_metrics(0.5, np.array([0.1, 0.9]))
assert 0 <= _n <= 1, "ndcg: a number between 0 and 1"
### BEGIN HIDDEN TESTS
_rng = np.random.default_rng(6)
for _pos, _neg, _k in ((0.7, np.array([0.7, 0.2, 0.9, 0.7]), 10), (0.5, _rng.random(99), 10), (0.95, _rng.random(99), 3),
                       (2.0, _rng.random(99), 10)):
    _rank = 1 + int((_neg >= _pos).sum())
    _, _hit, _ndcg = sampled_metrics(_pos, _neg, _k)
    assert bool(_hit) == (_rank <= _k), "hit: whether the rank is within the top k"
    assert np.isclose(_ndcg, 1 / np.log2(_rank + 1) if _rank <= _k else 0.0), "ndcg: 1 / log2(rank + 1) within the top k, else 0"
### END HIDDEN TESTS
''', 2)

task("ch6-ex3", r'''
### Exercise 6.3: a cross-product feature (3 points)

Wide & Deep's wide part learns one weight per *cross-product feature*: "this user's gender and
this film's genre, together". Write `gender_by_genre(gender, genres)`: `gender` holds one 0 or 1
per pair (1 for women), `genres` is a pairs x G array of 0/1 (the film's genres); return a
pairs x 2G array of 0/1 whose column `gender * G + g` is 1 exactly when the pair's film has
genre g (columns 0 to G-1: men x genre, G to 2G-1: women x genre). Use numpy, no loop. Then
store as `women_war_liked` the share of liked training ratings (rating 4 or 5) among the
training ratings that switch on the cross "women × War" (`train.ratings`, `data.users["gender"]`,
genre names in `data.items["genres"]`). Watch out for: the genres alone (no gender), the columns
in the order genre × 2 + gender, and adding gender and genre instead of multiplying.
''')
answer("ch6-ex3", r'''
### BEGIN SOLUTION
def gender_by_genre(gender, genres):
    genres = np.asarray(genres)
    women = np.asarray(gender)[:, None]
    return np.hstack([genres * (1 - women), genres * women])


r = train.ratings
names = sorted({g for gs in data.items["genres"] for g in gs})
multi_hot = np.array([[g in gs for g in names] for gs in data.items["genres"]], dtype=int)
crosses = gender_by_genre((data.users["gender"] == "F").to_numpy().astype(int)[r["user"]], multi_hot[r["item"]])
on = crosses[:, len(names) + names.index("War")] == 1
women_war_liked = float((r["rating"].to_numpy()[on] >= 4).mean())
### END SOLUTION
print(f"liked among women x War ratings: {women_war_liked:.3f}")
''', ["gender_by_genre", "women_war_liked"], wrong=r'''
def gender_by_genre(gender, genres):
    return np.hstack([np.asarray(genres), np.asarray(genres)])


women_war_liked = 0.5
''', mistakes=[("the genres alone, without gender", r'''
def gender_by_genre(gender, genres):
    return np.hstack([np.asarray(genres), np.asarray(genres)])


r = train.ratings
names = sorted({g for gs in data.items["genres"] for g in gs})
multi_hot = np.array([[g in gs for g in names] for gs in data.items["genres"]], dtype=int)
crosses = gender_by_genre((data.users["gender"] == "F").to_numpy().astype(int)[r["user"]], multi_hot[r["item"]])
on = crosses[:, len(names) + names.index("War")] == 1
women_war_liked = float((r["rating"].to_numpy()[on] >= 4).mean())
'''), ("columns in the order genre x 2 + gender", r'''
def gender_by_genre(gender, genres):
    genres = np.asarray(genres)
    women = np.asarray(gender)[:, None]
    out = np.zeros((len(genres), 2 * genres.shape[1]), dtype=int)
    out[:, 0::2], out[:, 1::2] = genres * (1 - women), genres * women
    return out


r = train.ratings
names = sorted({g for gs in data.items["genres"] for g in gs})
multi_hot = np.array([[g in gs for g in names] for gs in data.items["genres"]], dtype=int)
crosses = gender_by_genre((data.users["gender"] == "F").to_numpy().astype(int)[r["user"]], multi_hot[r["item"]])
on = crosses[:, len(names) + names.index("War")] == 1
women_war_liked = float((r["rating"].to_numpy()[on] >= 4).mean())
'''), ("adds gender and genre instead of multiplying", r'''
def gender_by_genre(gender, genres):
    genres = np.asarray(genres)
    women = np.asarray(gender)[:, None]
    return np.minimum(np.hstack([genres + (1 - women), genres + women]), 1)


r = train.ratings
names = sorted({g for gs in data.items["genres"] for g in gs})
multi_hot = np.array([[g in gs for g in names] for gs in data.items["genres"]], dtype=int)
crosses = gender_by_genre((data.users["gender"] == "F").to_numpy().astype(int)[r["user"]], multi_hot[r["item"]])
on = crosses[:, len(names) + names.index("War")] == 1
women_war_liked = float((r["rating"].to_numpy()[on] >= 4).mean())
''')])
check("ch6-ex3", "crosses", r'''
assert np.shape(gender_by_genre(np.array([0, 1]), np.array([[1, 0, 1], [0, 1, 1]]))) == (2, 6), "gender_by_genre: pairs x 2G"
### BEGIN HIDDEN TESTS
_rng = np.random.default_rng(7)
for _n, _g in ((5, 3), (40, 19), (1, 4)):
    _gender, _genres = _rng.integers(0, 2, _n), _rng.integers(0, 2, (_n, _g))
    _expected = np.zeros((_n, 2 * _g), dtype=int)
    for _j in range(_n):
        _expected[_j, _gender[_j] * _g:(_gender[_j] + 1) * _g] = _genres[_j]
    assert np.array_equal(np.asarray(gender_by_genre(_gender, _genres)), _expected), \
        "gender_by_genre: column gender * G + g is 1 exactly when the film has genre g"
### END HIDDEN TESTS
''', 2)
check("ch6-ex3", "share", r'''
assert 0 <= women_war_liked <= 1, "women_war_liked: a share between 0 and 1"
### BEGIN HIDDEN TESTS
from recsys_lite import load_movielens_100k as _load
from recsys_lite.split import random_split as _random_split
_data = _load()
_r = _random_split(_data, test_size=0.2, seed=0).train.ratings
_women = (_data.users["gender"] == "F").to_numpy()[_r["user"].to_numpy()]
_war = np.array(["War" in _gs for _gs in _data.items["genres"]])[_r["item"].to_numpy()]
assert np.isclose(women_war_liked, (_r["rating"].to_numpy()[_women & _war] >= 4).mean()), \
    "women_war_liked: among training ratings by women of War films, the share rated 4 or 5"
### END HIDDEN TESTS
''', 1)
