from nb import md, code

md(r'''
All five models are trained on the book's split (chapter 3's: 80 % of the ratings), with early
stopping on a tenth of the training ratings, and scored on every test rating: AUC (the chance
that a liked pair is scored above a not-liked one) and log loss (the mean cross-entropy, lower is
better), each model's AUC against logistic regression's with a paired bootstrap interval that
resamples users. Wide & Deep is trained twice, with and without its crosses, to see what the
hand-made features add. All five share one setting (batches of 4,096, Adam's learning rate of
0.01, eight-dimensional feature vectors), not tuned further; early stopping on the validation
tenth decides how long each trains:
''')

code(r'''
from recsys_lite.evaluation import click_metrics

assert round((data.ratings["rating"] >= 4).mean(), 2) == 0.55                # the share of liked ratings
clicks = {"logistic regression": LogisticRegression(fields=fields),
          "factorisation machine": FactorizationMachine(fields=fields),
          "Wide & Deep": WideAndDeep(fields=fields),
          "Wide & Deep, no crosses": WideAndDeep(fields=fields, crosses=False),
          "DeepFM": DeepFM(fields=fields)}
for model in clicks.values():
    model.fit(train)
click_table = click_metrics(clicks, split, reference="logistic regression")
click_table["seconds"] = [m.fit_seconds_ for m in clicks.values()]
print(click_table.attrs["protocol"])
click_table.round(4)
''')

code(r'''
for name in ("Wide & Deep", "DeepFM"):
    assert click_table.loc[name, "auc_diff_low"] > 0, name           # beats logistic regression, beyond the noise
ablation = click_metrics({"with crosses": clicks["Wide & Deep"], "without": clicks["Wide & Deep, no crosses"]}, split,
                         reference="without").loc["with crosses"]
print(f"what the crosses add to Wide & Deep: {ablation['auc_diff']:+.4f} AUC "
      f"({ablation['auc_diff_low']:+.4f} to {ablation['auc_diff_high']:+.4f})")
assert ablation["auc_diff_low"] < 0 < ablation["auc_diff_high"]                 # nothing beyond the noise
assert click_table.loc["factorisation machine", "auc_diff"] < 0 < click_table.loc["factorisation machine", "auc_diff_high"]
''')

md(r'''
Both deep models beat logistic regression on AUC, by an interval that excludes zero, and lower
its log loss; the gains are modest, a few thousandths of AUC. The factorisation machine, with
every pair of features and early stopping its only brake, does not beat logistic regression (it
is a little below it, within the noise): most of its pairs (user id × film id, for instance) are
seen a handful of times, and it overfits them quickly. And the hand-made crosses add nothing measurable to Wide & Deep: its deep part, fed
the same gender, occupation and genre embeddings, already learns those interactions. Crosses
pay where the deep part cannot see the fields they combine, or where a rare combination must be
memorised; on MovieLens neither is the case.
''')
