"""Lesson 11's quizzes: the data file follows its rules, every lesson so far has questions, the
right answers score full marks, and any other answer is marked wrong with an explanation, never an
exception."""
import json

import numpy as np
import pytest

from utils.course import quiz
from utils.course.lessons import SOLUTIONS


def test_the_quiz_file_is_valid_and_covers_every_lesson():
    questions = quiz.load_quiz()
    lessons = {path.name[:2] for path in SOLUTIONS.glob("*.ipynb")}
    assert lessons <= {q["lesson"] for q in questions}
    for lesson in lessons:
        asked = quiz.questions_of(lesson, questions)
        assert len(asked) >= 3
        assert quiz.score(lesson, [q["answer"] for q in asked], questions)[0] == len(asked)
    choices = [q["answer"] for q in questions if q["kind"] == "choice"]
    assert len(set(choices)) >= 3                                         # the right answer is not always the first


@pytest.mark.parametrize("answer", [None, "two", 7, -1, 1.0, True, float("nan"), [1]])
def test_any_wrong_answer_is_marked_wrong_with_feedback(answer):
    question = {"lesson": "01", "kind": "choice", "question": "q", "choices": ["a", "b"], "answer": 0, "explanation": "because"}
    right, feedback = quiz.mark(question, answer)
    assert not right and feedback


def test_a_numpy_integer_is_the_number_of_a_choice():   # e.g. what np.argmax returns
    question = {"lesson": "01", "kind": "choice", "question": "q", "choices": ["a", "b"], "answer": 1, "explanation": "because"}
    assert quiz.mark(question, np.int64(1))[0] and not quiz.mark(question, np.int64(0))[0]


def test_numbers_are_marked_within_their_tolerance():
    question = {"lesson": "02", "kind": "number", "question": "q", "answer": 20, "tolerance": 0.01, "explanation": "PSNR"}
    assert quiz.mark(question, 20.005)[0] and quiz.mark(question, "20")[0]
    right, feedback = quiz.mark(question, 21)
    assert not right and "the answer is 20 (± 0.01). PSNR" in feedback
    assert not quiz.mark(question, float("nan"))[0] and not quiz.mark(question, None)[0]


def test_a_wrong_number_of_answers_is_explained():
    right, feedback = quiz.score("02", [0])
    assert right == 0 and "expected a list of 3 answers" in feedback[0]


@pytest.mark.parametrize("change, words", [
    (lambda q: q[0].pop("explanation"), "no 'explanation'"),
    (lambda q: q[0].update(answer=9), "answer: expected the index"),
    (lambda q: q[0].update(lesson="2"), "lesson: expected two digits"),
    (lambda q: q[0].update(kind="essay"), "kind: expected one of"),
    (lambda q: q[0].update(choices=["same", "same"]), "two choices read the same"),
    (lambda q: q.append(dict(q[0])), "a question appears twice"),
    (lambda q: q[1].update(kind="number", tolerance=-1), "tolerance: expected a number ≥ 0"),
])
def test_a_broken_quiz_file_says_where(tmp_path, change, words):
    questions = json.loads(quiz.QUIZ.read_text(encoding="utf-8"))
    change(questions)
    broken = tmp_path / "quiz.json"
    broken.write_text(json.dumps(questions), encoding="utf-8")
    with pytest.raises(quiz.QuizError, match=words):
        quiz.load_quiz(broken)


def test_the_widget_marks_what_is_entered(capsys):
    box = quiz.quiz_widget("02")
    *rows, button, output = box.children
    asked = quiz.questions_of("02")
    for row, question in zip(rows, asked):
        row.children[1].value = question["answer"]
    button.click()                                                         # outside a kernel the Output widget lets the text through
    assert len(rows) == len(asked) and f"{len(asked)} of {len(asked)} right" in capsys.readouterr().out
