"""The interactive helpers respond to a change, say what is wrong with bad input, and show their
results as HTML widget values (never through Output widgets, whose captured output notebook
executors can wait on forever)."""
import ipywidgets as w
import pytest

from recsys_lite.models import BiasBaseline, Popularity
from recsys_lite.split import random_split
from recsys_lite.widgets import knn_explorer, metrics_explorer, user_card, user_explorer


@pytest.fixture(scope="module")
def split(world):
    return random_split(world[0], seed=0)


def no_output_widgets(widget):
    children = getattr(widget, "children", ())
    return not isinstance(widget, w.Output) and all(no_output_widgets(c) for c in children)


def test_user_explorer_follows_the_box(split):
    view = user_explorer(split.train, {"pop": Popularity().fit(split.train), "bias": BiasBaseline().fit(split.train)}, k=5)
    box, html = view.children
    first = html.value
    box.value = "7"
    assert html.value != first and "User 7:" in html.value and "<table" in html.value
    box.value = "12345"
    assert "No user with id '12345'" in html.value.replace("&#x27;", "'")
    assert no_output_widgets(view)


def test_metrics_and_knn_explorers_respond(split):
    view = metrics_explorer(["a", "b", "c", "d"], {"a", "c"}, k=2)
    before = view.children[-1].value
    view.children[2].value = 4                       # move k
    assert view.children[-1].value != before and "k = 4" in view.children[-1].value
    for button in view.children[0].children:
        button.value = False
    assert "Mark at least one item relevant" in view.children[-1].value
    knn = knn_explorer(split, user=0, measures=["pearson", "jaccard"])
    before = knn.children[-1].value
    knn.children[0].children[0].value = "jaccard"
    assert knn.children[-1].value != before and "jaccard" in knn.children[-1].value
    assert no_output_widgets(view) and no_output_widgets(knn)


def test_user_card_validates(split):
    with pytest.raises(ValueError, match="unknown user id"):
        user_card(split.train, 10_000, {"pop": Popularity().fit(split.train)})
    from recsys_lite.models import NotFittedError
    with pytest.raises(NotFittedError):
        user_card(split.train, 0, {"pop": Popularity()})


def test_history_explorer_follows_the_slider(split):
    from recsys_lite.split import truncate_history
    from recsys_lite.widgets import history_explorer
    cards = {}
    for n in (0, 3):
        cut = truncate_history(split, [4], n)
        cards[n] = user_card(cut.train, 4, {"pop": Popularity().fit(cut.train), "bias": BiasBaseline().fit(cut.train)}, k=5)
    assert len(cards[0][0]) == 0 and len(cards[3][0]) == 3                 # what the user has rated so far
    view = history_explorer(cards, "user 4")
    slider, html = view.children
    assert "no ratings yet" in html.value
    slider.value = 3
    assert "with 3 ratings" in html.value and "<table" in html.value
    assert no_output_widgets(view)
    with pytest.raises(ValueError, match="cards must be a non-empty dict"):
        history_explorer({})
