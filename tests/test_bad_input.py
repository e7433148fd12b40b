"""The bad-input matrix: one row per (public function or class, kind of bad input).

Every row must raise an error of an expected type whose message names the argument (or says
what was wrong); none may return a value, and no internal exception (IndexError, KeyError from
deep inside, ZeroDivisionError, AttributeError, StopIteration) may escape. Add a row whenever the
library grows a public function or a way to be called wrongly.
"""
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from recsys_lite import metrics as M
from recsys_lite import similarity as S
from recsys_lite.data import Dataset, genre_matrix, simulate_world
from recsys_lite.evaluation import click_metrics, compare, evaluate, relevant_matrix
from recsys_lite.group import aggregate, group_ranking
from recsys_lite.models import (BiasBaseline, BiasedMF, ImplicitMF, ItemKNN, NotFittedError, Popularity,
                                UserKNN, top_k)
from recsys_lite.models.two_tower import TwoTower
from recsys_lite.results import bootstrap_interval, compare_and_record
from recsys_lite.split import (is_seen, kfold, leave_last_out, per_user_split, random_split, sample_negatives,
                               temporal_split)
from recsys_lite.train import seed_everything, train_loop
from recsys_lite import attacks as A, bias as B, fairness as F
from recsys_lite.models.bpr import BPRMF
from recsys_lite.data import item_features, relation_coverage
from recsys_lite.data.features import ItemFeatures
from recsys_lite.data.knowledge_graph import check_relations
from recsys_lite.models import ContentKNN, ContentProfile, FeatureCrossModel, RandomRanking, UserClassifier
from recsys_lite.split import cold_items
from recsys_lite.widgets import content_neighbours
from recsys_lite.models import SwitchingHybrid, WeightedHybrid
from recsys_lite.models.feature_mf import FeatureMF
from recsys_lite.models.hybrid import standardise
from recsys_lite.models.ncf import NCF
from recsys_lite.models.ctr import DeepFM, LogisticRegression, WideAndDeep, click_fields
from recsys_lite.models.dssm import DSSM
from recsys_lite.train import negative_items
from recsys_lite.models.autoencoders import CDAE, CDL, AutoRec, MultVAE
from recsys_lite.ann import ItemIndex, mips_vectors, overlap_at_k, synthetic_catalogue
from recsys_lite.models.graph import GraphCF, important_neighbours, random_walk_visits
from recsys_lite.models.visual import VisualBPR
from recsys_lite.data.posters import render_posters
from recsys_lite.data.sessions import cut_sessions, session_parallel_batches, split_sessions_by_time
from recsys_lite.models.session import session_bpr_loss, top1_loss
from recsys_lite.models.gru4rec import GRU4Rec
from recsys_lite.models.session_baselines import (MarkovChain, SessionKNN, SessionPopularity, evaluate_next_item,
                                                  next_item_points, paired_session_difference, session_interval)
from recsys_lite.models.sasrec import SASRec
from recsys_lite.models.rrn import RRN
from recsys_lite.models.text_gru import TextMF, encode_titles, title_words
from recsys_lite.widgets import session_card
import torch

USERS = pd.DataFrame({"user_id": [10, 11, 12]})
ITEMS = pd.DataFrame({"item_id": [5, 6, 7, 8], "title": list("abcd"), "genres": [("Drama",)] * 4})
GOOD = pd.DataFrame({"user": [0, 0, 1, 2], "item": [0, 1, 1, 3], "rating": [4.0, 2.0, 5.0, 3.0],
                     "timestamp": [1, 2, 3, 4]})


def data(**changes):
    return Dataset(GOOD.assign(**changes), USERS, ITEMS)


WORLD, _ = simulate_world(n_users=40, n_items=30, density=0.3, seed=1)
SPLIT = random_split(WORLD, seed=0)
FITTED = {cls.__name__: cls().fit(SPLIT.train) for cls in (Popularity, BiasBaseline, BiasedMF, ImplicitMF, UserKNN, ItemKNN)}
X = SPLIT.train.to_csr()
REL = relevant_matrix(SPLIT)
TOP = FITTED["Popularity"].recommend(np.arange(40), k=5).items

V, T = ValueError, TypeError
_PEOPLE = Dataset(pd.DataFrame({"user": [0, 1, 2, 3, 4, 0], "item": [0, 1, 2, 3, 4, 5], "rating": [5.0, 1.0, 4.0, 2.0, 5.0, 3.0],
                                "timestamp": [1, 2, 3, 4, 5, 6]}),
                  pd.DataFrame({"user_id": range(5), "age": [20, 30, 40, 50, 60], "gender": list("MFMFM"),
                                "occupation": ["a", "b", "a", "b", "a"]}),
                  pd.DataFrame({"item_id": range(6), "title": list("abcdef"), "year": [1990, 1991, 1980, 1970, 1995, 1999],
                                "genres": [("Drama",), ("Comedy", "Drama"), ("War",), ("Drama",), ("Comedy",), ("War",)]}))
_FIELDS = click_fields(_PEOPLE)
CASES = {
    # ---- Dataset -------------------------------------------------------------------------
    "dataset duplicate pair": (lambda: data(item=[0, 0, 1, 3]), V, r"1 duplicate \(user, item\) pairs.*keep='last'"),
    "dataset inf rating": (lambda: data(rating=[4.0, np.inf, 5.0, 3.0]), V, r"ratings\['rating'\] has 1 NaN or infinite"),
    "dataset NaN rating": (lambda: data(rating=[4.0, np.nan, 5.0, 3.0]), V, r"NaN or infinite"),
    "dataset string ratings": (lambda: data(rating=["4", "2", "5", "3"]), V, r"ratings\['rating'\] must hold numbers"),
    "dataset fractional ids": (lambda: data(user=[0, 0.5, 1, 2]), V, r"ratings\['user'\] must hold whole numbers"),
    "dataset negative id": (lambda: data(item=[-1, 1, 1, 3]), V, r"ratings\['item'\] has ids outside 0 .. 3"),
    "dataset unknown id": (lambda: data(user=[0, 0, 1, 3]), V, r"ratings\['user'\] has ids outside 0 .. 2"),
    "dataset missing column": (lambda: Dataset(GOOD.drop(columns="rating"), USERS, ITEMS), V, r"missing the columns \['rating'\]"),
    "dataset not a frame": (lambda: Dataset(GOOD.to_numpy(), USERS, ITEMS), T, r"ratings must be a pandas DataFrame"),
    "dataset duplicate original ids": (lambda: Dataset(GOOD, pd.DataFrame({"user_id": [1, 1, 2]}), ITEMS), V, r"users\['user_id'\] must hold each original id once"),
    "dataset bool timestamps": (lambda: data(timestamp=[True, False, True, True]), V, r"ratings\['timestamp'\] must hold integers"),
    "item_titles padding id": (lambda: data().item_titles([-1]), V, r"unknown item id.*-1 pads a short top-k list"),
    "item_titles fractional": (lambda: data().item_titles([1.5]), V, r"items must be whole numbers"),
    "item_titles unknown": (lambda: data().item_titles([4]), V, r"unknown item id\(s\) 4"),
    "user_index unknown": (lambda: data().user_index([99]), KeyError, r"unknown original user id"),
    "genre_matrix not a dataset": (lambda: genre_matrix(GOOD), T, r"dataset must be a recsys_lite Dataset"),
    "genre_matrix duplicate genres": (lambda: genre_matrix(data(), ["Drama", "Drama"]), V, r"genres must be a list of distinct"),
    # ---- simulated worlds ----------------------------------------------------------------
    "world zero users": (lambda: simulate_world(n_users=0), V, r"n_users must be a whole number >= 1"),
    "world density above 1": (lambda: simulate_world(density=1.5), V, r"density must be a finite number > 0 and <= 1"),
    "world NaN noise": (lambda: simulate_world(noise=np.nan), V, r"noise must be a finite number >= 0"),
    "world negative seed": (lambda: simulate_world(seed=-1), V, r"seed must be a whole number >= 0"),
    # ---- splits --------------------------------------------------------------------------
    "split fraction 0": (lambda: random_split(WORLD, test_size=0), V, r"test_size must be a fraction"),
    "split fraction 1.2": (lambda: per_user_split(WORLD, test_size=1.2), V, r"test_size must be a fraction"),
    "split fraction string": (lambda: temporal_split(WORLD, test_size="0.2"), V, r"test_size must be a fraction"),
    "split not a dataset": (lambda: random_split(GOOD), T, r"expected a recsys_lite Dataset"),
    "split empty dataset": (lambda: random_split(data().with_ratings(GOOD.iloc[:0])), V, r"no ratings to split"),
    "split keep_known string": (lambda: random_split(WORLD, keep_known="yes"), V, r"keep_known must be True or False"),
    "leave_last_out n=0": (lambda: leave_last_out(WORLD, n=0), V, r"n must be a whole number >= 1"),
    "kfold one fold": (lambda: kfold(WORLD, n_folds=1), V, r"n_folds must be a whole number from 2"),
    "kfold bool folds": (lambda: kfold(WORLD, n_folds=True), V, r"n_folds must be a whole number"),
    "split float seed": (lambda: random_split(WORLD, seed=0.5), V, r"seed must be a whole number >= 0"),
    "is_seen negative item": (lambda: is_seen(X, [0], [-1]), V, r"unknown item id\(s\) -1"),
    "is_seen unknown user": (lambda: is_seen(X, [40], [0]), V, r"unknown user id\(s\) 40"),
    "is_seen shapes": (lambda: is_seen(X, [0, 1], [0]), V, r"users and items must have the same shape"),
    "is_seen dense matrix": (lambda: is_seen(X.toarray(), [0], [0]), T, r"seen must be a Dataset or a users x items scipy.sparse"),
    "sample_negatives fractional user": (lambda: sample_negatives(X, [1.5]), V, r"users must be whole numbers"),
    "sample_negatives n=0": (lambda: sample_negatives(X, [1], n=0), V, r"n must be a whole number >= 1"),
    "sample_negatives too many": (lambda: sample_negatives(X, [1], n=30), V, r"has only \d+ unseen items"),
    # ---- models: use before fit, bad ids, bad k, bad hyper-parameters -------------------------
    "predict before fit": (lambda: BiasBaseline().predict([0], [0]), NotFittedError, r"not fitted yet"),
    "recommend before fit": (lambda: ItemKNN().recommend([0]), NotFittedError, r"not fitted yet"),
    "save before fit": (lambda: Popularity().save("/tmp/never"), NotFittedError, r"not fitted yet"),
    "fit on a frame": (lambda: Popularity().fit(GOOD), T, r"fit expects a recsys_lite Dataset"),
    "recommend padding id": (lambda: FITTED["BiasBaseline"].recommend([-1]), V, r"unknown user id\(s\) -1"),
    "recommend 2-D users": (lambda: FITTED["BiasBaseline"].recommend([[0, 1]]), V, r"users must be a 1-D array"),
    "recommend string users": (lambda: FITTED["BiasBaseline"].recommend(["0"]), V, r"users must be integer ids"),
    "recommend k=0": (lambda: FITTED["UserKNN"].recommend([0], k=0), V, r"k must be a whole number >= 1"),
    "recommend k too large": (lambda: FITTED["BiasedMF"].recommend([0], k=31), V, r"k=31 is larger than the catalogue"),
    "recommend exclude_seen string": (lambda: FITTED["Popularity"].recommend([0], exclude_seen="no"), V, r"exclude_seen must be True or False"),
    "predict unequal lengths": (lambda: FITTED["BiasedMF"].predict([0, 1], [0]), V, r"same length"),
    "predict NaN ids": (lambda: FITTED["BiasedMF"].predict([np.nan], [0]), V, r"users must be whole numbers"),
    "predict ranking-only model": (lambda: FITTED["ImplicitMF"].predict([0], [0]), NotImplementedError, r"ranks items but does not estimate"),
    "BiasBaseline reg NaN": (lambda: BiasBaseline(reg_user=np.nan).fit(SPLIT.train), V, r"reg_user must be a finite number >= 0"),
    "BiasBaseline epochs 0": (lambda: BiasBaseline(epochs=0).fit(SPLIT.train), V, r"epochs must be a whole number"),
    "BiasedMF init_std NaN": (lambda: BiasedMF(init_std=np.nan).fit(SPLIT.train), V, r"init_std must be a finite number > 0"),
    "BiasedMF reg 0": (lambda: BiasedMF(reg=0).fit(SPLIT.train), V, r"reg .*must be a finite number > 0"),
    "ImplicitMF confidence": (lambda: ImplicitMF(confidence="counts").fit(SPLIT.train), V, r"confidence must be one of"),
    "ImplicitMF alpha inf": (lambda: ImplicitMF(alpha=np.inf).fit(SPLIT.train), V, r"alpha must be a finite number > 0"),
    "kNN shrinkage negative": (lambda: ItemKNN(shrinkage=-1).fit(SPLIT.train), V, r"shrinkage must be a finite number >= 0"),
    "kNN min_support 0": (lambda: UserKNN(min_support=0).fit(SPLIT.train), V, r"min_support must be a whole number"),
    "kNN unknown measure": (lambda: UserKNN(measure="manhattan").fit(SPLIT.train), V, r"unknown measure"),
    "TwoTower embedding 0": (lambda: TwoTower(embedding_size=0).fit(SPLIT.train), V, r"embedding_size must be a whole number"),
    "TwoTower learning rate 0": (lambda: TwoTower(learning_rate=0).fit(SPLIT.train), V, r"learning_rate must be a finite number > 0"),
    "TwoTower validation 1": (lambda: TwoTower(validation=1.0).fit(SPLIT.train), V, r"validation must be a fraction"),
    "TwoTower loss": (lambda: TwoTower(loss="hinge").fit(SPLIT.train), V, r"loss must be one of"),
    "model typo": (lambda: BiasedMF(factors=3), T, r"unexpected keyword argument"),
    "top_k k=-1": (lambda: top_k(np.zeros((2, 3)), -1), V, r"k must be a whole number >= 1"),
    "top_k 1-D": (lambda: top_k(np.zeros(3), 1), V, r"scores must be a 2-D numeric"),
    "top_k +inf": (lambda: top_k(np.array([[np.inf, 0.0]]), 1), V, r"scores hold \+inf"),
    # ---- similarity ----------------------------------------------------------------------
    "similarity dense input": (lambda: S.pearson(X.toarray()), T, r"x must be a 2-D scipy.sparse ratings matrix"),
    "similarity duplicate entries": (lambda: S.cosine(sp.coo_matrix(([1.0, 2.0], ([0, 0], [1, 1])), shape=(2, 2))), V, r"duplicate \(row, column\) entries"),
    "similarity NaN": (lambda: S.jaccard(sp.csr_matrix(np.array([[np.nan, 1.0]]))), V, r"NaN or infinite"),
    "msd rating outside range": (lambda: S.msd(sp.csr_matrix(np.array([[9.0, 1.0], [2.0, 3.0]])), rating_range=(1, 5)), V, r"outside rating_range"),
    "pip bad range": (lambda: S.pip(X, rating_range=(5, 1)), V, r"outside rating_range|max > min"),
    "similarity unknown measure": (lambda: S.similarity(X, "manhattan"), V, r"unknown similarity measure"),
    "similarity unknown option": (lambda: S.similarity(X, "pearson", rating_range=(1, 5)), T, r"pearson takes no option"),
    "similarity shrinkage NaN": (lambda: S.pearson(X, shrinkage=np.nan), V, r"shrinkage must be a finite number >= 0"),
    "user_similarity frame": (lambda: S.user_similarity(GOOD), T, r"data must be a recsys_lite Dataset"),
    # ---- metrics, one user -------------------------------------------------------------------
    "rmse different shapes": (lambda: M.rmse([[1, 2], [3, 4]], [1, 2, 3, 4]), V, r"y_true and y_pred must be 1-D arrays of the same length"),
    "rmse empty": (lambda: M.rmse([], []), V, r"empty"),
    "mae inf": (lambda: M.mae([1, 2], [1, np.inf]), V, r"y_pred contains 1 NaN or infinite"),
    "mae strings": (lambda: M.mae(["a"], [1]), V, r"y_true must hold numbers"),
    "precision_at_k k=0": (lambda: M.precision_at_k([1, 2], {1}, 0), V, r"k must be a whole number >= 1"),
    "recall_at_k 2-D ranked": (lambda: M.recall_at_k(np.array([[1, 2], [3, 4]]), {1}, 2), V, r"ranked must be one user's list \(1-D\)"),
    "ndcg duplicate ranked": (lambda: M.ndcg_at_k([1, 1], {1}, 2), V, r"ranked contains an item more than once"),
    "ndcg strings against ints": (lambda: M.ndcg_at_k(["1", "2"], {1, 2}, 2), V, r"ranked holds str ids but relevant holds number ids"),
    "ndcg negative gain": (lambda: M.ndcg_at_k([1, 2], {1}, 2, gains={1: -1}), V, r"gains\[1\] must be a finite number >= 0"),
    "ap unknown normaliser": (lambda: M.average_precision_at_k([1], {1}, 1, "total"), V, r"normalize must be one of"),
    "reciprocal_rank k=0": (lambda: M.reciprocal_rank([1], {1}, 0), V, r"k must be a whole number"),
    "precision set of other kind": (lambda: M.precision({"a"}, {1}), V, r"recommended holds str ids but used holds number ids"),
    "f_measure beta 0": (lambda: M.f_measure({1}, {1}, beta=0), V, r"beta must be a finite number > 0"),
    "auc labels": (lambda: M.auc([0.1, 0.2], [0, 2]), V, r"labels must be 0 or 1"),
    "auc NaN score": (lambda: M.auc([np.nan, 0.2], [0, 1]), V, r"scores contains 1 NaN"),
    "map_at_k lengths": (lambda: M.map_at_k([[1]], [{1}, {2}], 1), V, r"one entry per user"),
    "mean over no relevant": (lambda: M.mean_recall_at_k([[1]], [set()], 1), V, r"no user has a relevant item"),
    # ---- metrics, batched and beyond accuracy -------------------------------------------------
    "ranking_metrics duplicates in a row": (lambda: M.ranking_metrics(np.array([[0, 0, 1]]), sp.csr_matrix(np.ones((1, 3)))), V, r"top_items lists an item more than once"),
    "ranking_metrics 1-D": (lambda: M.ranking_metrics(np.array([0, 1]), sp.csr_matrix(np.ones((1, 3)))), V, r"top_items must be a \(users x k\) array"),
    "ranking_metrics strings": (lambda: M.ranking_metrics(np.array([["0", "1"]]), sp.csr_matrix(np.ones((1, 3)))), V, r"top_items must hold integer item ids"),
    "ranking_metrics id beyond catalogue": (lambda: M.ranking_metrics(np.array([[0, 3]]), sp.csr_matrix(np.ones((1, 3)))), V, r"outside the catalogue 0 .. 2"),
    "ranking_metrics negative relevance": (lambda: M.ranking_metrics(np.array([[0, 1]]), sp.csr_matrix(np.array([[1.0, -1.0, 0.0]]))), V, r"relevant holds negative values"),
    "ranking_metrics duplicate relevance": (lambda: M.ranking_metrics(np.array([[0, 1]]), sp.coo_matrix(([1.0, 1.0], ([0, 0], [1, 1])), shape=(1, 3))), V, r"relevant holds duplicate"),
    "ranking_metrics dense relevance": (lambda: M.ranking_metrics(np.array([[0, 1]]), np.ones((1, 3))), T, r"relevant must be a users x items scipy.sparse"),
    "ranking_metrics normaliser": (lambda: M.ranking_metrics(TOP, REL, normalize="total"), V, r"normalize must be one of"),
    "ranking_metrics rows": (lambda: M.ranking_metrics(TOP[:3], REL), V, r"top_items has 3 rows but relevant has 40"),
    "auc_per_user NaN": (lambda: M.auc_per_user(np.full((40, 30), np.nan), REL), V, r"scores contain .* NaN or infinite"),
    "auc_per_user shape": (lambda: M.auc_per_user(np.zeros((40, 29)), REL), V, r"must have the same shape"),
    "coverage n_items too small": (lambda: M.catalogue_coverage(TOP, 3), V, r"outside the catalogue 0 .. 2"),
    "coverage n_items float": (lambda: M.catalogue_coverage(TOP, 30.5), V, r"n_items must be a whole number"),
    "coverage duplicate in a list": (lambda: M.catalogue_coverage(np.array([[1, 1]]), 5), V, r"more than once"),
    "gini id beyond catalogue": (lambda: M.gini_index(np.array([[0, 7]]), 5), V, r"outside the catalogue"),
    "gini negative id": (lambda: M.gini_index(np.array([[0, -3]]), 5), V, r"negative ids other than the padding -1"),
    "novelty popularity above 1": (lambda: M.novelty(np.array([[0, 1]]), [0.5, 1.5]), V, r"item_popularity must be a 1-D array of shares"),
    "novelty id beyond popularity": (lambda: M.novelty(np.array([[0, 5]]), [0.5, 0.5]), V, r"outside the catalogue"),
    "diversity non-square similarity": (lambda: M.intra_list_diversity(np.array([[0, 1]]), np.ones((2, 3))), V, r"similarity must be a square"),
    # ---- evaluation ----------------------------------------------------------------------
    "evaluate model from another catalogue": (lambda: evaluate(Popularity().fit(data()), SPLIT), V, r"fitted on 3 users x 4 items, but the split has 40 x 30"),
    "evaluate unknown ap_normalize": (lambda: evaluate(FITTED["Popularity"], SPLIT, ap_normalize="total"), V, r"ap_normalize must be one of"),
    "evaluate metrics as a string": (lambda: evaluate(FITTED["Popularity"], SPLIT, metrics="ndcg"), V, r"metrics must be a list"),
    "evaluate empty metrics": (lambda: evaluate(FITTED["Popularity"], SPLIT, metrics=[]), V, r"metrics is empty"),
    "evaluate unknown metric": (lambda: evaluate(FITTED["Popularity"], SPLIT, metrics=["accuracy"]), V, r"unknown metric"),
    "evaluate k=0": (lambda: evaluate(FITTED["Popularity"], SPLIT, k=0), V, r"k must be a whole number"),
    "evaluate NaN threshold": (lambda: evaluate(FITTED["Popularity"], SPLIT, relevance_threshold=np.nan), V, r"relevance_threshold must be a finite number"),
    "evaluate not fitted": (lambda: evaluate(Popularity(), SPLIT), NotFittedError, r"not fitted yet"),
    "evaluate not a model": (lambda: evaluate("popularity", SPLIT), T, r"evaluate expects a fitted recsys_lite model"),
    "evaluate sampled n_negatives 0": (lambda: evaluate(FITTED["Popularity"], SPLIT, sampled=True, n_negatives=0), V, r"n_negatives must be a whole number"),
    "compare empty": (lambda: compare({}, SPLIT), V, r"models must be a non-empty dict"),
    "relevant_matrix not a split": (lambda: relevant_matrix(WORLD), T, r"split must be a recsys_lite Split"),
    "compare_and_record empty": (lambda: compare_and_record("00_introduction", {}, SPLIT), V, r"non-empty dict"),
    "bootstrap empty": (lambda: bootstrap_interval([]), V, r"holds no number"),
    # ---- group recommendation -------------------------------------------------------------------
    "aggregate 1-D": (lambda: aggregate([1, 2, 3]), V, r"scores must be a non-empty \(members x items\)"),
    "aggregate NaN": (lambda: aggregate([[1, np.nan]]), V, r"scores contain NaN"),
    "aggregate unknown strategy": (lambda: aggregate([[1, 2]], "median"), V, r"strategy must be one of|unknown strategy"),
    "group_ranking k=0": (lambda: group_ranking([[1, 2]], k=0), V, r"k must be a whole number"),
    # ---- training loop -------------------------------------------------------------------
    "train_loop patience 0": (lambda: train_loop(None, batches=list, loss=len, validate=float, epochs=1, learning_rate=0.1,
                                                 weight_decay=0, patience=0), V, r"patience must be a whole number"),
    "train_loop loss not callable": (lambda: train_loop(None, batches=list, loss=3, validate=float, epochs=1,
                                                        learning_rate=0.1, weight_decay=0), T, r"loss must be a function"),
    "seed_everything negative": (lambda: seed_everything(-1), V, r"seed must be a whole number >= 0"),
    # ---- attacks ----------------------------------------------------------------------------
    "inject_profiles negative size": (lambda: A.inject_profiles(WORLD, 0, n_profiles=-1), V, r"n_profiles must be a whole number >= 1"),
    "inject_profiles negative fillers": (lambda: A.inject_profiles(WORLD, 0, filler_size=-3), V, r"filler_size must be a whole number >= 0"),
    "inject_profiles padding target": (lambda: A.inject_profiles(WORLD, -1), V, r"unknown target id.*-1"),
    "inject_profiles unknown kind": (lambda: A.inject_profiles(WORLD, 0, kind="segment"), V, r"kind must be one of"),
    "inject_profiles too many fillers": (lambda: A.inject_profiles(WORLD, 0, filler_size=30), V, r"filler_size=30 is more than"),
    "inject_profiles not a dataset": (lambda: A.inject_profiles(GOOD, 0), T, r"data must be a recsys_lite Dataset"),
    "hit_ratio empty users": (lambda: A.hit_ratio(FITTED["BiasedMF"], [], 0), V, r"users is empty"),
    "hit_ratio unknown item": (lambda: A.hit_ratio(FITTED["BiasedMF"], [0], 99), V, r"unknown item id"),
    "degree_of_similarity k=0": (lambda: A.degree_of_similarity(WORLD, k=0), V, r"k must be a whole number"),
    "flag_outliers NaN": (lambda: A.flag_outliers([1.0, np.nan]), V, r"score must be a non-empty 1-D array of finite"),
    "flag_outliers z negative": (lambda: A.flag_outliers([1.0, 2.0], z=-1), V, r"z must be a finite number > 0"),
    # ---- bias -------------------------------------------------------------------------------
    "ips propensity 0": (lambda: B.ips_estimate([1.0], [0.0], 10), V, r"propensities must be probabilities in \(0, 1\]"),
    "ips propensity above 1": (lambda: B.ips_estimate([1.0], [1.5], 10), V, r"propensities must be probabilities"),
    "ips too few pairs": (lambda: B.ips_estimate([1.0, 2.0], [0.5, 0.5], 1), V, r"n_pairs=1 is fewer than the 2 observed"),
    "ips shapes differ": (lambda: B.ips_estimate([1.0, 2.0], [0.5], 10), V, r"propensities must have one entry per error"),
    "snips empty": (lambda: B.snips_estimate([], []), V, r"errors must be a non-empty 1-D array"),
    "naive NaN": (lambda: B.naive_estimate([1.0, np.nan]), V, r"errors must be a non-empty 1-D array of finite"),
    "penalise weight above 1": (lambda: B.penalise_popularity(np.zeros((2, 3)), [1, 2, 3], 1.5), V, r"weight must be a finite number >= 0 and <= 1"),
    "penalise popularity negative": (lambda: B.penalise_popularity(np.zeros((2, 3)), [1, -2, 3], 0.1), V, r"popularity must be .* >= 0"),
    "penalise k=0": (lambda: B.penalise_popularity(np.zeros((2, 3)), [1, 2, 3], 0.1, k=0), V, r"k must be a whole number"),
    "guarantee minimum above k": (lambda: B.guarantee_share(np.zeros((2, 3)), np.array([True, False, True]), 2, 3), V, r"minimum=3 cannot exceed k=2"),
    "guarantee protected not bool": (lambda: B.guarantee_share(np.zeros((2, 3)), [1, 0, 1], 2, 1), V, r"protected must be a boolean array"),
    "guarantee scores +inf": (lambda: B.guarantee_share(np.array([[np.inf, 0, 0]]), np.array([True, False, True]), 2, 1), V, r"scores must be a 2-D array .* of finite scores"),
    "examination negative decay": (lambda: B.examination(5, -1.0), V, r"decay must be a finite number >= 0"),
    "simulate_clicks relevance above 1": (lambda: B.simulate_clicks([0.5, 1.2], [[0, 1]], 1.0), V, r"relevance must be a 1-D array of probabilities"),
    "simulate_clicks unknown item": (lambda: B.simulate_clicks([0.5, 0.2], [[0, 2]], 1.0), V, r"unknown ranking id\(s\) 2"),
    "naive_ctr clicks not 0/1": (lambda: B.naive_ctr([[2, 0]], [[0, 1]], 2), V, r"clicks must be a 0/1 array"),
    # ---- fairness ---------------------------------------------------------------------------
    "group_report shapes differ": (lambda: F.group_report([0.1, 0.2], ["a"]), V, r"values and groups must be 1-D arrays of the same"),
    "group_report one group": (lambda: F.group_report([0.1, 0.2], ["a", "a"]), V, r"at least two groups"),
    "group_report level 1.5": (lambda: F.group_report([0.1, 0.2], ["a", "b"], level=1.5), V, r"level must be a fraction"),
    "group_report inf": (lambda: F.group_report([0.1, np.inf], ["a", "b"]), V, r"values must be finite"),
    "exposure_share float lists": (lambda: F.exposure_share(np.zeros((2, 2)), np.array([True, False])), V, r"recommended must be a 2-D integer array"),
    "exposure_share unknown item": (lambda: F.exposure_share(np.array([[0, 5]]), np.array([True, False])), V, r"unknown recommended id"),
    "long_tail all zero": (lambda: F.long_tail([0, 0, 0]), V, r"not all zero"),
    # ---- BPR / APR ----------------------------------------------------------------------------
    "BPRMF epsilon negative": (lambda: BPRMF(epsilon=-0.1, epochs=1).fit(SPLIT.train), V, r"epsilon must be a finite number >= 0"),
    "BPRMF perturbed before fit": (lambda: BPRMF().perturbed(0.5, SPLIT.train), NotFittedError, r"not fitted yet"),
    "BPRMF perturbed other data": (lambda: BPRMF(epochs=1).fit(SPLIT.train).perturbed(0.5, data()), V, r"train must be the Dataset the model was fitted on"),
    "BiasedMF unknown weight column": (lambda: BiasedMF(weight_column="ips").fit(SPLIT.train), V, r"weight_column must name a column"),
    "BiasedMF zero weights": (lambda: BiasedMF(weight_column="w").fit(SPLIT.train.with_ratings(SPLIT.train.ratings.assign(w=0.0))), V, r"must hold finite numbers > 0"),
    "ImplicitMF solver": (lambda: ImplicitMF(solver="lu").fit(data()), V, r"solver must be one of \['exact', 'cg'\]"),
    "ImplicitMF cg_steps 0": (lambda: ImplicitMF(solver="cg", cg_steps=0).fit(data()), V, r"cg_steps must be a whole number >= 1"),
    "ImplicitMF negative missing weights": (lambda: ImplicitMF(missing_weight_column="m").fit(
        Dataset(SPLIT.train.ratings, SPLIT.train.users, SPLIT.train.items.assign(m=-1.0))), V, r"must hold finite numbers >= 0"),
    "BiasedMF reg_scaling": (lambda: BiasedMF(reg_scaling="users").fit(data()), V, r"reg_scaling must be one of \['none', 'count'\]"),
    "BiasedMF biases not a flag": (lambda: BiasedMF(biases="no").fit(data()), V, r"biases must be True or False"),
    "ImplicitMF reg_scaling": (lambda: ImplicitMF(reg_scaling=1).fit(data()), V, r"reg_scaling must be one of"),
    # ---- nearest-neighbour index (chapter 10) ---------------------------------------------------
    "ItemIndex kind": (lambda: ItemIndex("lsh"), V, r"kind must be one of \['exact', 'ivf', 'hnsw'\]"),
    "ItemIndex probes 0": (lambda: ItemIndex("ivf", probes=0), V, r"probes must be a whole number >= 1"),
    "ItemIndex search before build": (lambda: ItemIndex().search(np.ones((1, 2))), RuntimeError, r"call .build\(item_vectors\) first"),
    "ItemIndex NaN vectors": (lambda: ItemIndex().build([[1.0, np.nan]]), V, r"item_vectors holds NaN or inf"),
    "ItemIndex 1-D vectors": (lambda: ItemIndex().build([1.0, 2.0]), V, r"item_vectors must be a non-empty 2-D array"),
    "ItemIndex queries wrong width": (lambda: ItemIndex().build(np.eye(3)).search(np.ones((2, 2)), k=2), V, r"queries must have 3 columns"),
    "ItemIndex k too large": (lambda: ItemIndex().build(np.eye(3)).search(np.ones((2, 3)), k=4), V, r"k=4 is larger than the catalogue"),
    "ItemIndex ivf more lists than items": (lambda: ItemIndex("ivf", lists=5).build(np.eye(3)), V, r"lists=5 is more than the 3 items"),
    "mips_vectors bias length": (lambda: mips_vectors(np.ones((2, 3)), np.ones((4, 3)), [0.0, 1.0]), V, r"item_bias must be 4 finite numbers"),
    "mips_vectors widths differ": (lambda: mips_vectors(np.ones((2, 3)), np.ones((4, 2))), V, r"item_vectors must have 3 columns"),
    "overlap_at_k rows differ": (lambda: overlap_at_k(np.zeros((2, 3), int), np.zeros((3, 3), int)), V, r"one row per query"),
    "overlap_at_k short lists": (lambda: overlap_at_k(np.zeros((2, 2), int), np.zeros((2, 3), int)), V, r"shorter than the exact ones"),
    "synthetic_catalogue one row": (lambda: synthetic_catalogue(np.ones((1, 3)), 5), V, r"at least two rows"),
    "synthetic_catalogue n 0": (lambda: synthetic_catalogue(np.eye(3), 0), V, r"n must be a whole number >= 1"),
    # ---- content (chapter 4) ----------------------------------------------------------------------
    "relations unknown name": (lambda: check_relations(["actor", "starring"]), V, r"relations must be names from .*unknown: \['starring'\]"),
    "relations empty": (lambda: check_relations([]), V, r"relations must be names .*\(empty\)"),
    "relations duplicate": (lambda: check_relations(["actor", "actor"]), V, r"relations lists a name twice"),
    "relation_coverage not facts": (lambda: relation_coverage(pd.DataFrame({"item": [0]}), 4), V, r"facts must be a table from load_knowledge_graph"),
    "item_features unknown block": (lambda: item_features(data(), "plot"), V, r"blocks must be names from .*unknown: \['plot'\]"),
    "item_features empty blocks": (lambda: item_features(data(), []), V, r"blocks must be names .*\(none given\)"),
    "item_features kg without knowledge": (lambda: item_features(data(), "actor"), V, r"pass knowledge=load_knowledge_graph"),
    "item_features min_films 0": (lambda: item_features(data(), "genres", min_films=0), V, r"min_films must be a whole number >= 1"),
    "item_features weight negative": (lambda: item_features(data(), "genres", weights={"genres": -1.0}), V, r"weights\['genres'\] must be a finite number > 0"),
    "item_features no year column": (lambda: item_features(data(), "year"), V, r"no 'year' column"),
    "ItemFeatures names shape": (lambda: ItemFeatures(sp.csr_matrix(np.eye(2)), np.array(["a"]), {}), V, r"names has 1 labels for 2 columns"),
    "ItemFeatures NaN": (lambda: ItemFeatures(sp.csr_matrix(np.array([[np.nan]])), np.array(["a"]), {}), V, r"matrix holds NaN or inf"),
    "select unknown block": (lambda: item_features(data(), "genres").select("title"), V, r"blocks must be names from \['genres'\]"),
    "profile_similarity empty profile": (lambda: S.profile_similarity(np.array([[1.0, 0.0], [0.0, 0.0]])), V, r"1 empty row\(s\)"),
    "profile_similarity unknown measure": (lambda: S.profile_similarity(np.eye(2), "pip"), V, r"measure must be one of \['cosine'"),
    "profile_similarity 1-D": (lambda: S.profile_similarity(np.ones(3)), V, r"profiles must be a 2-D numeric"),
    "profile_similarity inf": (lambda: S.profile_similarity(np.array([[np.inf, 1.0]])), V, r"profiles holds NaN or inf"),
    "profile_similarity strings": (lambda: S.profile_similarity(np.array([["a", "b"]])), V, r"profiles must be a 2-D numeric"),
    "ContentKNN features rows": (lambda: ContentKNN(features=np.eye(3)).fit(data()), V, r"features has 3 rows, but the training data has 4 items"),
    "ContentKNN k=0": (lambda: ContentKNN(features=np.eye(4), k=0).fit(data()), V, r"k must be a whole number >= 1"),
    "ContentKNN unknown measure": (lambda: ContentKNN(features=np.eye(4), measure="pip").fit(data()), V, r"measure must be one of"),
    "ContentKNN empty profile": (lambda: ContentKNN(features=np.diag([1.0, 1.0, 1.0, 0.0])).fit(data()), V, r"1 empty row\(s\)"),
    "ContentKNN no features": (lambda: ContentKNN().fit(data()), V, r"features must be ItemFeatures or a 2-D numeric"),
    "ContentKNN score before fit": (lambda: ContentKNN(features=np.eye(4)).score([0]), NotFittedError, r"not fitted yet"),
    "ContentProfile NaN features": (lambda: ContentProfile(features=np.full((4, 2), np.nan)).fit(data()), V, r"features holds NaN or inf"),
    "ContentProfile threshold string": (lambda: ContentProfile(features=np.eye(4), like_threshold="4").fit(data()), V, r"like_threshold must be a finite number"),
    "UserClassifier reg 0": (lambda: UserClassifier(features=np.eye(4), reg=0.0).fit(data()), V, r"reg must be a finite number > 0"),
    "UserClassifier unknown examples": (lambda: UserClassifier(features=np.eye(4), examples="liked").fit(data()), V, r"examples must be one of \['all', 'rated'\]"),
    "UserClassifier no columns": (lambda: UserClassifier(features=np.zeros((4, 0))).fit(data()), V, r"features has no columns"),
    "FeatureCrossModel no demographics": (lambda: FeatureCrossModel(features=np.eye(4)).fit(data()), V, r"train.users needs the columns age, gender and occupation"),
    "RandomRanking negative seed": (lambda: RandomRanking(seed=-1).fit(SPLIT.train), V, r"seed must be a whole number >= 0"),
    "recommend candidates duplicate": (lambda: FITTED["Popularity"].recommend([0], k=2, candidates=[1, 1, 2]), V, r"candidates lists an item twice"),
    "recommend candidates unknown": (lambda: FITTED["Popularity"].recommend([0], k=2, candidates=[1, 99]), V, r"unknown candidate id\(s\) 99"),
    "recommend candidates empty": (lambda: FITTED["Popularity"].recommend([0], k=2, candidates=[]), V, r"candidates is empty"),
    "evaluate candidates sampled": (lambda: evaluate(FITTED["Popularity"], SPLIT, sampled=True, candidates=[1, 2]), V, r"candidates works with full ranking only"),
    "cold_items every item": (lambda: cold_items(SPLIT, np.arange(30)), V, r"names every item of the catalogue"),
    "cold_items negative id": (lambda: cold_items(SPLIT, [-1]), V, r"unknown item id\(s\) -1"),
    "cold_items empty": (lambda: cold_items(SPLIT, []), V, r"items is empty"),
    "content_neighbours wrong shape": (lambda: content_neighbours(data(), {"cosine": np.eye(3)}, 0), V, r"similarities\['cosine'\] must be 4 x 4"),
    "content_neighbours k=0": (lambda: content_neighbours(data(), {"cosine": np.eye(4)}, 0, k=0), V, r"k must be a whole number >= 1"),
    "content_neighbours unknown item": (lambda: content_neighbours(data(), {"cosine": np.eye(4)}, 7), V, r"unknown item id\(s\) 7"),
    # ---- hybrids (chapter 5) ------------------------------------------------------------------
    "SwitchingHybrid threshold negative": (lambda: SwitchingHybrid(first=Popularity(), second=Popularity(), threshold=-1).fit(SPLIT.train), V, r"threshold must be a whole number >= 0"),
    "SwitchingHybrid threshold float": (lambda: SwitchingHybrid(first=Popularity(), second=Popularity(), threshold=2.5).fit(SPLIT.train), V, r"threshold must be a whole number >= 0, got 2.5"),
    "SwitchingHybrid first not a model": (lambda: SwitchingHybrid(first="popularity", second=Popularity()).fit(SPLIT.train), T, r"first must be a recsys_lite model"),
    "SwitchingHybrid uses_second before fit": (lambda: SwitchingHybrid(first=Popularity(), second=Popularity()).uses_second([0]), NotFittedError, r"not fitted yet"),
    "SwitchingHybrid uses_second unknown user": (lambda: SwitchingHybrid(first=Popularity(), second=Popularity()).fit(SPLIT.train).uses_second([40]), V, r"unknown user id\(s\) 40"),
    "WeightedHybrid weight 1.5": (lambda: WeightedHybrid(first=Popularity(), second=Popularity(), weight=1.5).fit(SPLIT.train), V, r"weight must be a finite number >= 0 and <= 1"),
    "WeightedHybrid NaN weight": (lambda: WeightedHybrid(first=Popularity(), second=Popularity(), weight=np.nan).fit(SPLIT.train), V, r"weight must be a finite number"),
    "WeightedHybrid shrink 0": (lambda: WeightedHybrid(first=Popularity(), second=Popularity(), shrink=0.0).fit(SPLIT.train), V, r"shrink must be a finite number > 0"),
    "WeightedHybrid prefit not fitted": (lambda: WeightedHybrid(first=Popularity(), second=Popularity(), prefit=True).fit(SPLIT.train), V, r"prefit=True, but first \(Popularity\) is not fitted"),
    "WeightedHybrid prefit other data": (lambda: WeightedHybrid(first=FITTED["Popularity"], second=FITTED["ImplicitMF"], prefit=True).fit(data()), V, r"fitted on other ratings"),
    "WeightedHybrid prefit string": (lambda: WeightedHybrid(first=Popularity(), second=Popularity(), prefit="yes").fit(SPLIT.train), V, r"prefit must be True or False"),
    "WeightedHybrid weights before fit": (lambda: WeightedHybrid(first=Popularity(), second=Popularity()).weights([0]), NotFittedError, r"not fitted yet"),
    "standardise NaN": (lambda: standardise(np.array([[1.0, np.nan]])), V, r"scores hold NaN or inf"),
    "standardise 1-D": (lambda: standardise(np.ones(3)), V, r"scores must be a 2-D users x items array"),
    "FeatureMF steps 0": (lambda: FeatureMF(features=np.eye(30), user_side=False, steps=0).fit(SPLIT.train), V, r"steps must be a whole number >= 1"),
    "FeatureMF features rows": (lambda: FeatureMF(features=np.eye(3)).fit(data()), V, r"features has 3 rows, but the training data has 4 items"),
    "FeatureMF no demographics": (lambda: FeatureMF(features=np.eye(4)).fit(data()), V, r"train.users needs the columns age, gender and occupation"),
    "FeatureMF inf features": (lambda: FeatureMF(features=np.full((4, 2), np.inf)).fit(data()), V, r"features holds NaN or inf"),
    "FeatureMF alpha 0": (lambda: FeatureMF(features=np.eye(4), user_side=False, alpha=0.0).fit(data()), V, r"alpha must be a finite number > 0"),
    "FeatureMF score before fit": (lambda: FeatureMF(features=np.eye(4)).score([0]), NotFittedError, r"not fitted yet"),
    "per_user_split users empty": (lambda: per_user_split(WORLD, users=[]), V, r"users is empty"),
    "per_user_split users unknown": (lambda: per_user_split(WORLD, users=[0, 40]), V, r"unknown user id\(s\) 40"),
    "cold_items n negative": (lambda: cold_items(SPLIT, [1], -1), V, r"n must be a whole number >= 0"),
    "NCF kind": (lambda: NCF(kind="deep").fit(SPLIT.train), V, r"kind must be one of \['gmf', 'mlp', 'neumf'\]"),
    "NCF layers empty": (lambda: NCF(layers=()).fit(SPLIT.train), V, r"layers must be a non-empty list"),
    "NCF layers float": (lambda: NCF(layers=(8.5, 4)).fit(SPLIT.train), V, r"layers must be a whole number"),
    "NCF negatives 0": (lambda: NCF(negatives=0).fit(SPLIT.train), V, r"negatives must be a whole number >= 1"),
    "NCF alpha beyond 1": (lambda: NCF(alpha=1.5).fit(SPLIT.train), V, r"alpha must be a finite number >= 0 and <= 1"),
    "NCF pretrained not fitted": (lambda: NCF(pretrained=(NCF(kind="gmf"), NCF(kind="mlp"))).fit(SPLIT.train), V, r"pretrained\[0\] is not fitted"),
    "NCF pretrained one model": (lambda: NCF(pretrained=NCF(kind="gmf")).fit(SPLIT.train), V, r"pretrained must be a pair \(gmf, mlp\)"),
    "NCF score before fit": (lambda: NCF().score([0]), NotFittedError, r"not fitted yet"),
    "NCF probability unknown item": (lambda: NCF(epochs=1).fit(SPLIT.train).probability([0], [30]), V, r"unknown item"),
    "NCF probability different shapes": (lambda: NCF(epochs=1).fit(SPLIT.train).probability([0, 1], [2]), V, r"same length"),
    "negative_items unknown user": (lambda: negative_items(X, np.array([40]), np.random.default_rng(0)), V, r"users must be a 1-D array of user ids in \[0, 40\)"),
    "negative_items float users": (lambda: negative_items(X, np.array([0.5]), np.random.default_rng(0)), V, r"users must be a 1-D array of user ids"),
    "click_fields no demographics": (lambda: click_fields(WORLD), V, r"click_fields needs users with age, gender and occupation"),
    "click model no fields": (lambda: LogisticRegression().fit(SPLIT.train), V, r"fields must be the encoding from click_fields"),
    "click model other data": (lambda: DeepFM(fields=_FIELDS).fit(data()), V, r"fields encodes 5 users x 6 items, but the training data has 3 x 4"),
    "WideAndDeep hidden empty": (lambda: WideAndDeep(fields=_FIELDS, hidden=[]).fit(_PEOPLE), V, r"hidden must be a non-empty list"),
    "click model NaN threshold": (lambda: DeepFM(fields=_FIELDS, threshold=np.nan).fit(_PEOPLE), V, r"threshold must be a finite number"),
    "click model predict before fit": (lambda: DeepFM(fields=_FIELDS).predict_proba([0], [0]), NotFittedError, r"not fitted yet"),
    "click model predict unknown user": (lambda: LogisticRegression(fields=_FIELDS, epochs=1).fit(_PEOPLE).predict_proba([9], [0]), V, r"unknown user"),
    "DSSM features rows": (lambda: DSSM(features=np.eye(3)).fit(data()), V, r"features has 3 rows, but the training data has 4 items"),
    "DSSM gamma 0": (lambda: DSSM(features=np.eye(4), gamma=0).fit(data()), V, r"gamma must be a finite number > 0"),
    "DSSM domains shape": (lambda: DSSM(features=np.eye(4), domains=[0, 1]).fit(data()), V, r"domains must hold one domain number >= 0 per item \(4\)"),
    "DSSM domains gap": (lambda: DSSM(features=np.eye(4), domains=[0, 2, 2, 0]).fit(data()), V, r"without gaps"),
    "DSSM domains negative": (lambda: DSSM(features=np.eye(4), domains=[0, -1, 1, 0]).fit(data()), V, r"domains must hold one domain number >= 0"),
    "DSSM vectors before fit": (lambda: DSSM(features=np.eye(4)).vectors(), NotFittedError, r"not fitted yet"),
    "log_loss probability 1": (lambda: M.log_loss([1, 0], [1.0, 0.5]), V, r"probabilities must lie strictly between 0 and 1"),
    "log_loss labels 2": (lambda: M.log_loss([2, 0], [0.5, 0.5]), V, r"labels must be 0 or 1"),
    "log_loss different shapes": (lambda: M.log_loss([1, 0], [0.5]), V, r"same"),
    "click_metrics not a click model": (lambda: click_metrics({"pop": FITTED["Popularity"]}, SPLIT), T, r"has no predict_proba"),
    "click_metrics unknown reference": (lambda: click_metrics({"lr": LogisticRegression(fields=_FIELDS)}, SPLIT, reference="fm"), V, r"reference must be one of"),
    "click_metrics empty": (lambda: click_metrics({}, SPLIT), V, r"models must be a non-empty dict"),
    # ---- autoencoders (chapter 7) -------------------------------------------------------------
    "AutoRec kind": (lambda: AutoRec(kind="film").fit(data()), V, r"kind must be one of \['item', 'user'\]"),
    "AutoRec hidden empty": (lambda: AutoRec(hidden=()).fit(data()), V, r"hidden must hold at least one layer width"),
    "AutoRec hidden float": (lambda: AutoRec(hidden=(8.5,)).fit(data()), V, r"hidden must be a whole number >= 1"),
    "AutoRec activation": (lambda: AutoRec(activation="softmax").fit(data()), V, r"activation must be one of"),
    "AutoRec reg negative": (lambda: AutoRec(reg=-1.0).fit(data()), V, r"reg must be a finite number >= 0"),
    "AutoRec reg NaN": (lambda: AutoRec(reg=np.nan).fit(data()), V, r"reg must be a finite number"),
    "AutoRec predict before fit": (lambda: AutoRec().predict([0], [0]), NotFittedError, r"not fitted yet"),
    "AutoRec predict unknown item": (lambda: AutoRec(hidden=(2,), epochs=1).fit(data()).predict([0], [4]), V, r"unknown item"),
    "CDAE corruption 1": (lambda: CDAE(corruption=1.0).fit(data()), V, r"corruption must be a finite number >= 0 and < 1"),
    "CDAE negatives 0": (lambda: CDAE(negatives=0).fit(data()), V, r"negatives must be a whole number >= 1"),
    "CDAE hidden string": (lambda: CDAE(hidden="64").fit(data()), V, r"hidden must be a whole number >= 1"),
    "CDAE user_node not a bool": (lambda: CDAE(user_node=1).fit(data()), V, r"user_node must be True or False"),
    "MultVAE dropout 1": (lambda: MultVAE(dropout=1.0).fit(data()), V, r"dropout must be a finite number >= 0 and < 1"),
    "MultVAE beta negative": (lambda: MultVAE(beta=-0.2).fit(data()), V, r"beta must be a finite number >= 0"),
    "MultVAE latent 0": (lambda: MultVAE(latent=0).fit(data()), V, r"latent must be a whole number >= 1"),
    "MultVAE hidden a number": (lambda: MultVAE(hidden=600).fit(data()), V, r"hidden must be a list of layer widths"),
    "MultVAE recommend before fit": (lambda: MultVAE().recommend([0]), NotFittedError, r"not fitted yet"),
    "CDL features rows": (lambda: CDL(features=np.eye(3)).fit(data()), V, r"features has 3 rows, but the training data has 4 items"),
    "CDL features NaN": (lambda: CDL(features=np.full((4, 2), np.nan)).fit(data()), V, r"NaN"),
    "CDL item_reg 0": (lambda: CDL(item_reg=0.0).fit(data()), V, r"item_reg must be a finite number > 0"),
    "CDL network_steps negative": (lambda: CDL(network_steps=-1).fit(data()), V, r"network_steps must be a whole number >= 0"),
    "CDL score before fit": (lambda: CDL().score([0]), NotFittedError, r"not fitted yet"),
    # ---- graph models (chapter 8) -------------------------------------------------------------
    "GraphCF kind": (lambda: GraphCF(kind="gcn").fit(data()), V, r"kind must be one of \['lightgcn', 'ngcf'\]"),
    "GraphCF layers negative": (lambda: GraphCF(layers=-1).fit(data()), V, r"layers must be a whole number >= 0"),
    "GraphCF learning_rate 0": (lambda: GraphCF(learning_rate=0).fit(data()), V, r"learning_rate must be a finite number > 0"),
    "GraphCF recommend before fit": (lambda: GraphCF().recommend([0]), NotFittedError, r"not fitted yet"),
    "random walks unknown item": (lambda: random_walk_visits(X, np.array([30])), V, r"items must be a non-empty 1-D array of item ids in \[0, 30\)"),
    "random walks negative item": (lambda: random_walk_visits(X, np.array([-1])), V, r"item ids in \[0, 30\)"),
    "random walks empty": (lambda: random_walk_visits(X, np.array([], dtype=int)), V, r"non-empty"),
    "random walks float ids": (lambda: random_walk_visits(X, np.array([1.5])), V, r"item ids"),
    "random walks 0 walks": (lambda: random_walk_visits(X, np.array([1]), walks=0), V, r"walks must be a whole number >= 1"),
    "important_neighbours top 0": (lambda: important_neighbours(X, 1, top=0), V, r"top must be a whole number >= 1"),
    "render_posters not a dataset": (lambda: render_posters(X), T, r"dataset must be a recsys_lite Dataset"),
    "render_posters size 8": (lambda: render_posters(data(), size=8), V, r"size must be a whole number >= 16"),
    "render_posters noise negative": (lambda: render_posters(data(), noise=-0.1), V, r"noise must be a finite number >= 0"),
    "render_posters min_studio_films 0": (lambda: render_posters(data(), min_studio_films=0), V, r"min_studio_films must be a whole number >= 1"),
    "cut_sessions not a dataset": (lambda: cut_sessions(X), T, r"data must be a recsys_lite Dataset"),
    "cut_sessions gap negative": (lambda: cut_sessions(data(), gap=-1), V, r"gap must be a finite number >= 0"),
    "cut_sessions gap NaN": (lambda: cut_sessions(data(), gap=np.nan), V, r"gap must be a finite number"),
    "session batches not Sessions": (lambda: session_parallel_batches(X, 2), T, r"sessions must be Sessions"),
    "session batches size 0": (lambda: session_parallel_batches(cut_sessions(data(), gap=1e9), 0), V,
                               r"batch_size must be a whole number >= 1"),
    "session batches order out of range": (lambda: session_parallel_batches(cut_sessions(data(), gap=1e9), 2,
                                                                            order=np.array([5])), V, r"order must be a 1-D array"),
    "Sessions subset wrong length": (lambda: cut_sessions(data(), gap=1e9).subset([True] * 99), V,
                                     r"keep must be a boolean mask of length"),
    "split_sessions_by_time share 0": (lambda: split_sessions_by_time(cut_sessions(data(), gap=1e9), test_share=0.0), V,
                                       r"test_share must be strictly between 0 and 1"),
    "top1_loss not square": (lambda: top1_loss(torch.zeros(2, 3)), V, r"scores must be a square"),
    "session_bpr_loss one slot": (lambda: session_bpr_loss(torch.zeros(1, 1)), V, r"at least two active slots"),
    "next_item_points not Sessions": (lambda: next_item_points(X), T, r"sessions must be Sessions"),
    "MarkovChain fit not Sessions": (lambda: MarkovChain().fit(X), T, r"train must be Sessions"),
    "session model score before fit": (lambda: SessionPopularity().score_points(cut_sessions(data(), gap=1e9), [0], [1]),
                                       RuntimeError, r"not fitted yet"),
    "evaluate_next_item k 0": (lambda: evaluate_next_item(SessionPopularity().fit(cut_sessions(data(), gap=1e9)),
                                                          cut_sessions(data(), gap=1e9), k=0), V, r"k must be a whole number >= 1"),
    "GRU4Rec loss": (lambda: GRU4Rec(loss="hinge").fit(cut_sessions(data(), gap=1e9)), V, r"loss must be one of \['top1', 'bpr', 'ce'\]"),
    "GRU4Rec batch_size 1": (lambda: GRU4Rec(batch_size=1).fit(cut_sessions(data(), gap=1e9)), V, r"batch_size must be a whole number >= 2"),
    "GRU4Rec learning_rate 0": (lambda: GRU4Rec(learning_rate=0).fit(cut_sessions(data(), gap=1e9)), V, r"learning_rate must be a finite number > 0"),
    "VisualBPR images missing": (lambda: VisualBPR().fit(data()), V, r"images must be an items x 3 x height x width array"),
    "VisualBPR images rows": (lambda: VisualBPR(images=np.zeros((3, 3, 16, 16))).fit(data()), V, r"one image per item \(4\)"),
    "VisualBPR images 2-D": (lambda: VisualBPR(images=np.zeros((4, 16))).fit(data()), V, r"got \(4, 16\)"),
    "VisualBPR images NaN": (lambda: VisualBPR(images=np.full((4, 3, 16, 16), np.nan)).fit(data()), V, r"images hold NaN or inf"),
    "SessionKNN neighbours 0": (lambda: SessionKNN(neighbours=0).fit(cut_sessions(data(), gap=1e9)), V,
                                r"neighbours must be a whole number >= 1"),
    "SASRec dropout 1": (lambda: SASRec(dropout=1.0).fit(cut_sessions(data(), gap=1e9)), V, r"dropout must be a finite number >= 0 and < 1"),
    "SASRec loss": (lambda: SASRec(loss="hinge").fit(cut_sessions(data(), gap=1e9)), V, r"loss must be one of \['ce', 'bce'\]"),
    "SASRec max_length 0": (lambda: SASRec(max_length=0).fit(cut_sessions(data(), gap=1e9)), V, r"max_length must be a whole number >= 1"),
    "SASRec attention before fit": (lambda: SASRec().attention(cut_sessions(data(), gap=1e9), 0, 1), RuntimeError, r"not fitted yet"),
    "SASRec attention bad point": (lambda: SASRec(epochs=1).fit(cut_sessions(data(), gap=1e9)).attention(
        cut_sessions(data(), gap=1e9), 0, 9), V, r"a position is outside 1 .. its session's length - 1"),
    "session_interval metric": (lambda: session_interval(evaluate_next_item(SessionPopularity().fit(
        cut_sessions(data(), gap=1e9)), cut_sessions(data(), gap=1e9)), "ndcg"), V, r"metric must be one of \['recall', 'mrr'\]"),
    "session_interval not points": (lambda: session_interval(pd.DataFrame({"x": [1]})), V, r"the DataFrame evaluate_next_item returns"),
    "paired_session_difference other sessions": (lambda: paired_session_difference(
        pd.DataFrame({"session": [0, 0], "recall": [1.0, 0.0]}), pd.DataFrame({"session": [0, 1], "recall": [1.0, 0.0]})), V,
        r"evaluated on the same sessions"),
    "session_card models": (lambda: session_card(cut_sessions(data(), gap=1e9), data(), 0, 1, {"pop": Popularity()}), V,
                            r"dict of name -> fitted session model"),
    "RRN window 0": (lambda: RRN(window=0).fit(data()), V, r"window must be a finite number > 0"),
    "RRN stationary": (lambda: RRN(stationary=Popularity()).fit(data()), T, r"stationary must be an \(unfitted\) BiasedMF"),
    "RRN predict before fit": (lambda: RRN().predict([0], [0]), NotFittedError, r"not fitted yet"),
    "TextMF reg negative": (lambda: TextMF(reg=-1).fit(data()), V, r"reg must be a finite number >= 0"),
    "TextMF no titles": (lambda: TextMF().fit(Dataset(GOOD, USERS, ITEMS.drop(columns="title"))), V, r"needs the items' titles"),
    "encode_titles empty": (lambda: encode_titles([]), V, r"titles is empty"),
    "title_words not text": (lambda: title_words(3), T, r"title must be a string"),
    "VisualBPR score before fit": (lambda: VisualBPR(images=np.zeros((4, 3, 16, 16))).score([0]), NotFittedError, r"not fitted yet"),
}


@pytest.mark.parametrize("call,error,message", CASES.values(), ids=CASES.keys())
def test_bad_input_is_refused_with_a_clear_error(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_the_matrix_covers_every_kind_of_bad_input():
    """The kinds of bad input the library promises to refuse each have rows here."""
    kinds = {"shape": ("2-D", "1-D", "shapes", "rows", "different shapes", "non-square"),
             "NaN/inf": ("NaN", "inf"), "unknown or negative id": ("unknown", "negative", "padding", "beyond"),
             "k < 1": ("k=0", "k=-1"), "empty": ("empty",), "dtype": ("string", "strings", "fractional", "float", "bool"),
             "duplicates": ("duplicate",), "use before fit": ("before fit", "not fitted")}
    for kind, words in kinds.items():
        assert any(any(w in name for w in words) for name in CASES), kind
