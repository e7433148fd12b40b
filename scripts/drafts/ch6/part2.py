from nb import md, code

md(r'''
### Choosing the settings on validation data

NCF has more knobs than MF: the embedding width, the MLP's layers, the number of negatives per
interaction, the learning rate, the epochs. The paper tuned them on one held-out interaction per
user. This chapter holds out each user's five latest training ratings of the paper's split
(below) as validation data, so that validation looks like the test (the user's future), trains
NeuMF with three settings of its size and negatives on the rest, and keeps the one with the best
validation NDCG@10 (full ranking). The optimiser's settings are fixed for every run (Adam with a
learning rate of 0.01, batches of 8,192, early stopping on a twentieth of the training
interactions), chosen for speed on a 2-core laptop. The sweep is small on purpose, and its cost is part of the result:
''')

code(r'''
val = leave_last_out(loo.train, n=5)                      # each user's five latest training ratings
SWEEP = {"32 factors, MLP 64-32-16, 4 negatives": dict(embedding_size=32, layers=(64, 32, 16), negatives=4),
         "32 factors, MLP 64-32-16, 1 negative": dict(embedding_size=32, layers=(64, 32, 16), negatives=1),
         "16 factors, MLP 32-16-8, 1 negative": dict(embedding_size=16, layers=(32, 16, 8), negatives=1)}
PRETRAINED_LR = 0.1                                         # plain SGD for the pre-trained NeuMF, as in the paper
sweep = {}
for name, setting in SWEEP.items():
    model = NCF(kind="neumf", **setting).fit(val.train)
    sweep[name] = {"validation NDCG@10": evaluate(model, val, metrics=["ndcg"]).summary["ndcg"],
                   "seconds": model.fit_seconds_, "epochs": len(model.history_)}
sweep = pd.DataFrame(sweep).T
chosen = sweep["validation NDCG@10"].idxmax()
SETTING = SWEEP[chosen]
print(f"chosen on validation: {chosen}; the sweep took {sweep['seconds'].sum():.0f} s")
sweep.round(4)
''')

md(r'''
### The paper's protocol and the book's, side by side

He et al. evaluated by **leave-one-out**: each user's latest interaction is held out and ranked
among 100 films: itself and 99 the user never rated, drawn at random; HR@10 asks whether it
lands in the top 10. The book ranks the **full catalogue** (every film the user has not rated in
training). All top-n models of this chapter are trained on the leave-one-out split and measured
both ways (the click models of the next section use the book's own split); the
baselines are popularity, item-kNN (Jaccard), MF trained with BPR, and chapter 3's iALS. The
NeuMF "pre-trained" starts from the fitted GMF and MLP (their embeddings and layers copied, the
output weights halved and stacked) and continues with plain SGD, as in the paper:
''')

code(r'''
def ncf_models(train_set, setting, progress=False):
    """GMF, MLP, NeuMF and pre-trained NeuMF, fitted on train_set with one setting."""
    gmf = NCF(kind="gmf", progress=progress, **setting).fit(train_set)
    mlp = NCF(kind="mlp", progress=progress, **setting).fit(train_set)
    neumf = NCF(kind="neumf", progress=progress, **setting).fit(train_set)
    pre = NCF(kind="neumf", pretrained=(gmf, mlp), learning_rate=PRETRAINED_LR, progress=progress,
              **setting).fit(train_set)
    return {"GMF": gmf, "MLP": mlp, "NeuMF": neumf, "NeuMF (pre-trained)": pre}


def baselines(train_set):
    return {"popularity": Popularity().fit(train_set),
            "item-kNN": ItemKNN(k=40, measure="jaccard", ranking="similarity").fit(train_set),
            "BPR-MF": BPRMF().fit(train_set), "iALS": ImplicitMF().fit(train_set)}


loo_models = baselines(loo.train) | ncf_models(loo.train, SETTING, progress=True)
sampled = {name: evaluate(model, loo, sampled=True, metrics=["hit_rate", "ndcg"]) for name, model in loo_models.items()}
full = {name: evaluate(model, loo) for name, model in loo_models.items()}     # every metric, for the record too
protocols = pd.DataFrame({name: {"sampled HR@10": sampled[name].summary["hit_rate"],
                                 "sampled NDCG@10": sampled[name].summary["ndcg"],
                                 "full HR@10": full[name].summary["hit_rate"],
                                 "full NDCG@10": full[name].summary["ndcg"]} for name in loo_models}).T
protocols.round(4)
''')
