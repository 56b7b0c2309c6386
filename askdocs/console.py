"""How commands report failures: one line on stderr and a non-zero exit, never a traceback
unless `askdocs --debug` asked for it."""

from __future__ import annotations

import sys
import traceback
from typing import Any, NoReturn

import typer
from pydantic import ValidationError
from pydantic_settings import SettingsError

from askdocs.settings import Settings


class Options:
    """Options of the whole command line, set by its top-level callback."""

    debug = False


def fail(message: str, code: int = 1) -> NoReturn:
    """Print `error: message` on stderr and exit; with --debug, the handled traceback first."""
    if Options.debug and sys.exc_info()[0] is not None:
        traceback.print_exc()
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    raise typer.Exit(code)


def load_settings(**options: Any) -> Settings:
    """Settings from the environment with a command's options (None = not given) on top,
    validated together; a bad value ends the command with one line naming it."""
    given = {k: v for k, v in options.items() if v is not None}
    try:
        return Settings(**given)
    except ValidationError as exc:
        fail(settings_problem(exc, given))
    except SettingsError as exc:
        fail(str(exc))


def settings_problem(exc: ValidationError, given: dict[str, Any]) -> str:
    """One line naming each bad setting the way the user gave it (option or variable)."""
    problems = []
    for error in exc.errors():
        field = ".".join(str(part) for part in error["loc"])
        name = str(error["loc"][0]) if error["loc"] else ""
        message = str(error["msg"]).removeprefix("Value error, ")
        if not name:  # a rule across settings: its message names them
            problems.append(message)
            continue
        if name in given:
            label = f"--{name.replace('_', '-')} {given[name]}"
        else:
            label = "ASKDOCS_" + field.replace(".", "__").upper()
            value = error.get("input")
            if isinstance(value, str | int | float) and len(str(value)) <= 60:
                label += f"={value}"
        problems.append(f"{label}: {message}")
    return "invalid setting " + "; ".join(problems)
