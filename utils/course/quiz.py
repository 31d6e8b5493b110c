"""The self-check quizzes of lesson 11: a few questions per lesson, kept in data/quiz.json, marked
automatically, each answer explained.

A question is one of:
    {"lesson": "02", "kind": "choice", "question": …, "choices": [… at least 2], "answer": index,
     "explanation": …}
    {"lesson": "02", "kind": "number", "question": …, "answer": number, "tolerance": number ≥ 0,
     "explanation": …}
`load_quiz` refuses a file that breaks these rules and says where; `mark` never raises on a
student's answer, whatever it is; `quiz_widget` shows a lesson's questions with ipywidgets.
"""
import html
import json
import math
import numbers

from utils.course.checker import FAILED, PASSED
from utils.course.lessons import ROOT

QUIZ = ROOT / "data" / "quiz.json"
KINDS = ("choice", "number")


class QuizError(ValueError):
    """A quiz file that breaks the rules of the module docstring."""


def _check_question(question, where):
    if not isinstance(question, dict):
        raise QuizError(f"{where}: expected an object; got {type(question).__name__}")
    for field in ("lesson", "kind", "question", "answer", "explanation"):
        if field not in question:
            raise QuizError(f"{where}: no {field!r}")
    lesson, kind = question["lesson"], question["kind"]
    if not (isinstance(lesson, str) and len(lesson) == 2 and lesson.isdigit()):
        raise QuizError(f"{where}: lesson: expected two digits such as '02'; got {lesson!r}")
    if kind not in KINDS:
        raise QuizError(f"{where}: kind: expected one of {KINDS}; got {kind!r}")
    if not all(isinstance(question[f], str) and question[f].strip() for f in ("question", "explanation")):
        raise QuizError(f"{where}: question and explanation must be non-empty text")
    answer = question["answer"]
    if kind == "choice":
        choices = question.get("choices")
        if not (isinstance(choices, list) and len(choices) >= 2 and all(isinstance(c, str) and c.strip() for c in choices)):
            raise QuizError(f"{where}: choices: expected a list of at least 2 texts")
        if len(set(choices)) != len(choices):
            raise QuizError(f"{where}: choices: two choices read the same")
        if isinstance(answer, bool) or not isinstance(answer, int) or not 0 <= answer < len(choices):
            raise QuizError(f"{where}: answer: expected the index of the right choice, 0…{len(choices) - 1}; got {answer!r}")
    else:
        tolerance = question.get("tolerance")
        if isinstance(answer, bool) or not isinstance(answer, numbers.Real) or not math.isfinite(answer):
            raise QuizError(f"{where}: answer: expected a finite number; got {answer!r}")
        if isinstance(tolerance, bool) or not isinstance(tolerance, numbers.Real) or not tolerance >= 0:
            raise QuizError(f"{where}: tolerance: expected a number ≥ 0; got {tolerance!r}")


def load_quiz(path=QUIZ):
    """The questions of the quiz file, checked."""
    try:
        questions = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise QuizError(f"{path.name} is not valid JSON ({err})") from err
    if not isinstance(questions, list) or not questions:
        raise QuizError(f"{path.name}: expected a non-empty list of questions")
    for number, question in enumerate(questions):
        _check_question(question, f"{path.name}, question {number}")
    texts = [q["question"] for q in questions]
    if len(set(texts)) != len(texts):
        raise QuizError(f"{path.name}: a question appears twice")
    return questions


def questions_of(lesson, questions=None):
    """The questions of lesson "NN", in file order."""
    return [q for q in (questions if questions is not None else load_quiz()) if q["lesson"] == lesson]


def mark(question, answer):
    """(right, feedback) for a student's answer: the index of a choice, or a number. Any other
    answer is wrong, with feedback saying what was expected."""
    if question["kind"] == "choice":
        choices = question["choices"]
        if isinstance(answer, bool) or not isinstance(answer, numbers.Integral) or not 0 <= answer < len(choices):
            return False, f"answer with the number of a choice, 0…{len(choices) - 1}; got {answer!r}"
        right = answer == question["answer"]
        expected = f"the answer is {question['answer']}: {choices[question['answer']]}"
    else:
        if isinstance(answer, bool) or not isinstance(answer, (numbers.Real, str)):
            return False, f"answer with a number; got {answer!r}"
        right = is_close(answer, question["answer"], question["tolerance"])
        expected = f"the answer is {question['answer']:g}" + (f" (± {question['tolerance']:g})" if question["tolerance"] else "")
    return right, f"{PASSED if right else FAILED} {'right' if right else 'not quite'}: {expected}. {question['explanation']}"


def is_close(answer, expected, tolerance):
    """Whether `answer` — a number, or text that reads as one — lies within `tolerance` of
    `expected`. Anything else (None, a bool, NaN, words) is simply not close."""
    if isinstance(answer, bool):
        return False
    try:
        value = float(answer)
    except (TypeError, ValueError):
        return False
    return math.isfinite(value) and abs(value - expected) <= tolerance


def score(lesson, answers, questions=None):
    """Mark a list of answers to lesson "NN"'s questions, in order: (number right, feedback lines)."""
    asked = questions_of(lesson, questions)
    if not isinstance(answers, (list, tuple)) or len(answers) != len(asked):
        return 0, [f"{FAILED} expected a list of {len(asked)} answers, one per question of lesson {lesson}; got {answers!r}"]
    results = [mark(question, answer) for question, answer in zip(asked, answers)]
    return sum(right for right, _ in results), [feedback for _, feedback in results]


def quiz_widget(lesson, questions=None):
    """Lesson "NN"'s questions as ipywidgets: a choice or a number box per question, a button that
    marks them all and explains each answer."""
    import ipywidgets as widgets

    asked = questions_of(lesson, questions)
    inputs = [widgets.RadioButtons(options=[(f"{i}. {c}", i) for i, c in enumerate(q["choices"])], value=None, layout={"width": "max-content"})
              if q["kind"] == "choice" else widgets.FloatText(value=None, layout={"width": "12em"}) for q in asked]
    output = widgets.Output()
    button = widgets.Button(description="Mark my answers")

    def on_click(_):
        right, lines = score(lesson, [box.value for box in inputs], questions)
        output.clear_output()
        with output:
            print("\n".join(lines) + f"\n{right} of {len(asked)} right")

    button.on_click(on_click)
    rows = [widgets.VBox([widgets.HTML(f"<b>{i}.</b> {html.escape(q['question'])}"), box]) for i, (q, box) in enumerate(zip(asked, inputs), start=1)]
    return widgets.VBox([*rows, button, output])
