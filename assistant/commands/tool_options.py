"""Command-line options generated from a tool's pydantic input model, so that a tool command never re-declares a
field's help, default or type: the CLI, the agent and the evals read the one `tools.base.Tool` declaration.

Each input field becomes `--field-name`, with the field's description as its help and the field's default,
unless the command's override table renames it (`option("--segment", "-s")`) or makes it positional
(`argument()`). Choices (Literal, Enum) and ranges are left to the model, so a bad value ends in the same
one-line error as everywhere else (`k: Input should be less than or equal to 50`); dates are read as
YYYY-MM-DD; a list field is a repeatable option.

A command's options are built, and its tool family imported, only when that command runs or shows its help:
`mka --help` and the other commands do not pay for importing the tools (see `lazy_command`).
"""

from __future__ import annotations

import enum
import inspect
import re
import types
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import TYPE_CHECKING, Annotated, Any, Literal, Union, get_args, get_origin

import typer
import typer.main
from typer.core import TyperCommand

if TYPE_CHECKING:
    from pydantic import BaseModel
    from pydantic.fields import FieldInfo

    from assistant.core.settings import Settings
    from tools.base import Tool

DATE_FORMAT = "%Y-%m-%d"
JSON_HELP = "Print the result as one JSON object."

CommandFunction = Callable[..., None]


@dataclass(frozen=True)
class Override:
    """How one input field appears on the command line, where not as `--field-name`."""

    names: tuple[str, ...] = ()  # option names, e.g. ("--segment", "-s"); a bool may give "--on/--off"
    argument: bool = False  # a positional argument instead of an option
    optional: bool = False  # an argument the command can do without, though the model requires the field
    note: str = ""  # appended to the field's description: what only the command line does


def option(*names: str, note: str = "") -> Override:
    """The field as an option with these names instead of `--field-name`."""
    return Override(names=names, note=note)


def argument(*, optional: bool = False, note: str = "") -> Override:
    """The field as a positional argument."""
    return Override(argument=True, optional=optional, note=note)


def parameter(name: str, annotation: Any, info: Any, default: Any = inspect.Parameter.empty) -> inspect.Parameter:
    """One parameter of a generated command, as if declared `name: Annotated[annotation, info] = default`."""
    return inspect.Parameter(
        name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=Annotated[annotation, info]
    )


def json_parameter(help: str = JSON_HELP) -> inspect.Parameter:
    """`--json`, passed to the command's body as `as_json`."""
    return parameter("as_json", bool, typer.Option("--json", help=help), default=False)


def field_parameters(
    model: type[BaseModel], overrides: Mapping[str, Override] | None = None
) -> list[inspect.Parameter]:
    """A command parameter for every field of `model`, in field order, named as the field."""
    overrides = overrides or {}
    unknown = sorted(set(overrides) - set(model.model_fields))
    if unknown:
        raise ValueError(f"{model.__name__} has no field {', '.join(unknown)}")
    return [_field_parameter(name, f, overrides.get(name, Override())) for name, f in model.model_fields.items()]


def _field_parameter(name: str, field: FieldInfo, override: Override) -> inspect.Parameter:
    kind, choices, multiple = _cli_type(name, field.annotation)
    description = field.description or ""
    notes = [description]
    if choices and not all(re.search(rf"\b{re.escape(c)}\b", description) for c in choices):
        notes.append(f"One of: {', '.join(choices)}.")
    if multiple:
        notes.append("(repeatable)")
    notes.append(override.note)
    help = " ".join(n for n in notes if n)
    extra: dict[str, Any] = {"formats": [DATE_FORMAT]} if kind is datetime else {}

    default: Any
    if field.is_required():
        default = None if override.optional else inspect.Parameter.empty
    elif multiple:
        default = None  # not given: None, left out of the input, so the model's own default applies
    else:
        default = field.get_default(call_default_factory=True)
        if isinstance(default, enum.Enum):
            default = default.value
        elif isinstance(default, date) and not isinstance(default, datetime):
            default = datetime.combine(default, time())
    annotation: Any = list[kind] if multiple else kind  # type: ignore[valid-type]
    if default is None:
        annotation = annotation | None
    info = (
        typer.Argument(help=help, **extra) if override.argument else typer.Option(*override.names, help=help, **extra)
    )
    return parameter(name, annotation, info, default)


def _cli_type(name: str, annotation: Any) -> tuple[type, tuple[str, ...], bool]:
    """(the type the command line reads, the choices if any, whether the option repeats) for a field's type."""
    bare = _bare(annotation)
    multiple = get_origin(bare) is list
    if multiple:
        bare = _bare(get_args(bare)[0])
    if get_origin(bare) is Literal:
        return str, tuple(str(a) for a in get_args(bare)), multiple
    if isinstance(bare, type) and issubclass(bare, enum.Enum):
        return str, tuple(str(m.value) for m in bare), multiple
    if bare is date:
        return datetime, (), multiple
    if bare in (str, int, float, bool):
        return bare, (), multiple
    raise TypeError(f"{name}: no command-line option for a field of type {annotation!r}")


def _bare(annotation: Any) -> Any:
    """`X` for `X | None`, `Optional[X]` and `Annotated[X, ...]`."""
    if get_origin(annotation) is Annotated:
        return _bare(get_args(annotation)[0])
    if get_origin(annotation) in (Union, types.UnionType):
        rest = [a for a in get_args(annotation) if a is not type(None)]
        if len(rest) == 1:
            return _bare(rest[0])
    return annotation


def tool_input(model: type[BaseModel], values: Mapping[str, Any]) -> BaseModel:
    """Validate the command-line values that are fields of `model`; options not given keep the model's default."""
    data = {
        name: value.date() if isinstance(value, datetime) else value
        for name, value in values.items()
        if name in model.model_fields and value is not None
    }
    return model.model_validate(data)


def load_tool(name: str) -> Tool[Any]:
    from tools.families import load_tools

    return load_tools()[name]


def command_function(parameters: list[inspect.Parameter], body: Callable[[dict[str, Any]], None]) -> CommandFunction:
    """A function with these parameters (as typer reads them) that hands its arguments to `body` as a dict."""

    def command(**values: Any) -> None:
        body(values)

    command.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
    return command


def lazy_command(app: typer.Typer, name: str, help: str, build: Callable[[], CommandFunction]) -> None:
    """Register `name` on `app`; `build` makes its function (parameters included) when the command is first used.

    Typer builds every command of the app whenever `mka` starts, reading each function's parameters; a tool
    command's parameters come from its tool's model, which means importing the tool families. Here the click
    command asks for them only when click needs them: to parse this command's arguments or show its help.
    """

    def placeholder() -> None:
        """Stands in for the function `build` makes."""

    app.command(name, help=help, cls=_lazy_command_class(build))(placeholder)


def _lazy_command_class(build: Callable[[], CommandFunction]) -> type[TyperCommand]:
    class LazyCommand(TyperCommand):
        _built: TyperCommand | None = None

        def _command(self) -> TyperCommand:
            if self._built is None:
                holder = typer.Typer(add_completion=False)
                holder.command()(build())
                command = typer.main.get_command(holder)
                assert isinstance(command, TyperCommand)
                self._built = command
            return self._built

        @property
        def params(self) -> list[Any]:
            return self._command().params

        @params.setter
        def params(self, value: list[Any]) -> None:
            """The placeholder's (none): the built command's are used."""

        @property
        def callback(self) -> Callable[..., Any] | None:
            return self._command().callback

        @callback.setter
        def callback(self, value: Callable[..., Any] | None) -> None:
            """The placeholder's: the built command's is used."""

    return LazyCommand


def tool_command(
    app: typer.Typer,
    name: str,
    tool: str,
    help: str,
    overrides: Mapping[str, Override] | None = None,
    prepare: Callable[[dict[str, Any]], Settings | None] | None = None,
) -> None:
    """Register `name` on `app`: the tool's input fields as options (see `overrides`) plus `--json`; it runs the
    tool on the current workspace and prints markdown or JSON, its declared errors as one line. `prepare` may
    adjust the command-line values first, and return the settings this run uses."""

    def build() -> CommandFunction:
        spec = load_tool(tool)

        def body(values: dict[str, Any]) -> None:
            settings = prepare(values) if prepare is not None else None
            run(spec, values, values.pop("as_json"), settings)

        return command_function([*field_parameters(spec.input_model, overrides), json_parameter()], body)

    lazy_command(app, name, help, build)


def run(tool: Tool[Any], values: Mapping[str, Any], as_json: bool, settings: Settings | None = None) -> None:
    """Run `tool` with the command-line values that are its input fields (`common.run_tool`, the tool's errors)."""
    from assistant.commands.common import run_tool

    run_tool(tool.run, lambda: tool_input(tool.input_model, values), as_json, tool.errors, settings)
