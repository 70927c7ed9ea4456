"""The validation firmware project of an export folder: generate it, build it with ``make``, measure it.

``generate_project`` writes ``EXPORT/firmware/<board>/``, a self-contained folder an engineer can open
and build by hand: ``model/`` (the exported library), ``src/`` (firmware sources from
``firmware_templates/firmware``), and the generated ``tofhil_board_config.h``, linker script, Makefile
and CMakeLists.txt. ``build_project`` runs ``make`` there and returns a :class:`FirmwareImage`; a second
call on an unchanged project (same model, same templates, same board) does not run anything.
"""
from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
from dataclasses import asdict, dataclass
from pathlib import Path

import jinja2

from tofhil.errors import FirmwareBuildError
from tofhil import elf_size
from tofhil.board_spec import BoardSpec
from tofhil.boards import load_board
from tofhil.firmware_context import firmware_context
from tofhil.folders import TFLITE_NAME
from tofhil.paths import templates_dir
from tofhil.templating import c_template_environment

MANIFEST = "tofhil_project.json"
IMAGE_RECORD = "build/tofhil_image.json"
OUTPUT_STEM = "build/tofhil_firmware"
BUILD_FLAGS_FILE = "build/tofhil_build_flags.txt"  # the compiler and flags make used (Makefile.j2)
LIBRARY_REQUIRED = ("tofhil_model.h", "tofhil_model.c", "tofhil_status.h", "tofhil_status.c")
_NOT_LOADED = (".debug", ".comment", ".ARM.attributes")
_SHA256_DEFINE = re.compile(r'#define TOFHIL_MODEL_SHA256 "([0-9a-f]{64})"')
_TOOLS_HINT = "install it (Debian: apt-get install --no-install-recommends make gcc gcc-arm-none-eabi " \
              "libnewlib-arm-none-eabi)"


@dataclass(frozen=True)
class FirmwareImage:
    board: str
    project_dir: Path
    elf: Path | None  # ARM boards
    bin: Path | None
    hex: Path | None
    map: Path | None
    executable: Path | None  # host board
    model_sha256: str
    flash_bytes: int | None  # whole firmware, from the ELF sections (None on the host)
    ram_bytes: int | None  # .data + .bss + the reserved stack
    sections: dict

    def to_dict(self) -> dict:
        return {key: str(value) if isinstance(value, Path) else value for key, value in asdict(self).items()}


def generate_project(export_dir: Path, board: str | BoardSpec) -> Path:
    """Write (or refresh) ``export_dir/firmware/<board>/`` and return its path."""
    export_dir = Path(export_dir).resolve()
    spec = board if isinstance(board, BoardSpec) else load_board(board)
    sha256 = _library_sha256(export_dir)
    has_preprocess = (export_dir / "tofhil_preprocess.h").is_file()
    has_postprocess = (export_dir / "tofhil_postprocess.h").is_file()
    context = firmware_context(spec, sha256, has_preprocess, has_postprocess=has_postprocess)
    project = export_dir / "firmware" / spec.name
    files = {f"model/{p.name}": p.read_bytes() for p in _library_files(export_dir)}
    files.update(_firmware_sources(spec))
    files.update(_rendered_files(spec, context))
    files[MANIFEST] = _manifest(spec, sha256, has_preprocess, context["firmware_version"], has_postprocess).encode()
    _write_tree(project, files)
    return project


def build_project(project_dir: Path) -> FirmwareImage:
    """Build with ``make`` (skipped when the sources did not change since the last build)."""
    project = Path(project_dir).resolve()
    manifest = _read_manifest(project)
    key = _sources_key(project)
    cached = _cached_image(project, manifest, key)
    if cached is not None:
        return cached
    _run(["make", "-C", str(project), "--no-print-directory"], project, manifest["board"])
    sections = {} if manifest["kind"] == "host" else firmware_sections(project / f"{OUTPUT_STEM}.elf")
    # paths are not recorded: a copied or moved project still finds its own outputs
    (project / IMAGE_RECORD).write_text(json.dumps({"key": key, "sections": sections}, indent=2) + "\n")
    return _image(project, manifest, sections)


def build_variant(project_dir: Path, variables: dict[str, str]) -> Path:
    """Build a copy of a project with ``make VAR=value ...`` (``OPT``, ``EXTRA_CFLAGS``, ``CC``), uncached;
    returns the ELF (or the host executable). Benchmarks compare builds with it."""
    project = Path(project_dir).resolve()
    manifest = _read_manifest(project)
    _run(["make", "-C", str(project), "--no-print-directory", *(f"{k}={v}" for k, v in variables.items())],
         project, manifest["board"])
    stem = project / OUTPUT_STEM
    return stem.with_suffix(".elf") if manifest["kind"] != "host" else stem


def build_variant_image(project_dir: Path, variables: dict[str, str], scratch: Path) -> FirmwareImage:
    """A copy of a project in ``scratch`` built with ``make VAR=value ...``, as an image a target can start
    (a test's planted-fault firmware, ``-DTOFHIL_TEST_FAULT_OP=i``). The original project and its cache are
    untouched, so the shipped image can never be the variant."""
    copy = Path(scratch).resolve() / Path(project_dir).name
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(Path(project_dir), copy, ignore=shutil.ignore_patterns("build"))
    build_variant(copy, variables)
    manifest = _read_manifest(copy)
    sections = {} if manifest["kind"] == "host" else firmware_sections(copy / f"{OUTPUT_STEM}.elf")
    return _image(copy, manifest, sections)


def templates_hash() -> str:
    """sha256 over every firmware template and runtime file (names and contents)."""
    root = templates_dir()
    digest = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
        digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def _library_files(export_dir: Path) -> list[Path]:
    return sorted(p for p in export_dir.glob("tofhil_*.[ch]") if p.is_file())


def _library_sha256(export_dir: Path) -> str:
    missing = [name for name in LIBRARY_REQUIRED if not (export_dir / name).is_file()]
    if missing:
        raise FirmwareBuildError(f"{export_dir}: not an export folder ({', '.join(missing)} missing); "
                                 "run `python -m training export RUN_DIR` first")
    match = _SHA256_DEFINE.search((export_dir / "tofhil_model.h").read_text())
    if match is None:
        raise FirmwareBuildError(f"{export_dir / 'tofhil_model.h'}: no TOFHIL_MODEL_SHA256 define; re-export the model")
    tflite = export_dir / TFLITE_NAME
    if tflite.is_file():  # the file itself, never its .sha256 side file: it may have changed after the export
        actual = hashlib.sha256(tflite.read_bytes()).hexdigest()
        if actual != match.group(1):
            raise FirmwareBuildError(f"{tflite}: sha256 {actual} is not the model the C library beside it was "
                                     f"generated from ({match.group(1)}): the file changed after the export; "
                                     "run `python -m training export RUN_DIR` again")
    return match.group(1)


def _firmware_sources(spec: BoardSpec) -> dict[str, bytes]:
    root = templates_dir() / "firmware"
    sources = {}
    for folder in ("common", spec.family):
        for path in sorted((root / folder).glob("*.[ch]")):
            sources[f"src/{path.name}"] = path.read_bytes()
    if spec.is_arm:
        sources["cmake/arm-none-eabi.cmake"] = (root / "project" / "arm-none-eabi.cmake").read_bytes()
    return sources


def _environment() -> jinja2.Environment:
    return c_template_environment()


def _rendered_files(spec: BoardSpec, context: dict) -> dict[str, bytes]:
    env = _environment()
    targets = {"tofhil_board_config.h": "firmware/project/tofhil_board_config.h.j2",
               "Makefile": "firmware/project/Makefile.j2", "CMakeLists.txt": "firmware/project/CMakeLists.txt.j2"}
    if spec.is_arm:
        targets[context["linker_script"]] = f"firmware/{spec.family}/tofhil_linker.ld.j2"
    return {name: env.get_template(template).render(**context).encode() for name, template in targets.items()}


def _manifest(spec: BoardSpec, sha256: str, has_preprocess: bool, version: str, has_postprocess: bool) -> str:
    return json.dumps({"generated": "by python -m training export - do not edit", "board": spec.name,
                       "kind": spec.kind, "model_sha256": sha256, "has_preprocess": has_preprocess,
                       "has_postprocess": has_postprocess,
                       "firmware_version": version, "templates_sha256": templates_hash()}, indent=2) + "\n"


def _write_tree(project: Path, files: dict[str, bytes]) -> None:
    """Write changed files only (make keeps its objects) and drop stale ones from the generated folders."""
    for relative, content in files.items():
        path = project / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.is_file() or path.read_bytes() != content:
            path.write_bytes(content)
    for folder in ("model", "src"):
        for path in (project / folder).glob("*"):
            if f"{folder}/{path.name}" not in files and path.is_file():
                path.unlink()


def _read_manifest(project: Path) -> dict:
    try:
        return json.loads((project / MANIFEST).read_text())
    except (OSError, ValueError) as exc:
        raise FirmwareBuildError(f"{project}: not a generated firmware project ({MANIFEST} unreadable: {exc}); "
                                 "generate it with tofhil.firmware.generate_project") from exc


def _sources_key(project: Path) -> str:
    """sha256 over every source file of the project (the model, the templates' output, the board)."""
    digest = hashlib.sha256()
    files = (p for p in project.rglob("*") if p.is_file() and not p.relative_to(project).parts[0].startswith("build"))
    for path in sorted(files):
        digest.update(str(path.relative_to(project)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def _cached_image(project: Path, manifest: dict, key: str) -> FirmwareImage | None:
    try:
        record = json.loads((project / IMAGE_RECORD).read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(record, dict) or record.get("key") != key:
        return None
    image = _image(project, manifest, record.get("sections", {}))
    outputs = (image.elf, image.bin, image.hex, image.map, image.executable)
    return image if all(path is None or path.is_file() for path in outputs) else None


_OVERFLOW = re.compile(r"region `?'?(\w+)'? overflowed by (\d+) bytes")


def _run(command: list[str], cwd: Path, board: str) -> str:
    if shutil.which(command[0]) is None:
        raise FirmwareBuildError(f"{command[0]} not found on PATH; {_TOOLS_HINT}")
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True)
    if result.returncode != 0:
        output = (result.stderr or result.stdout).strip()
        overflow = _OVERFLOW.search(output)
        if overflow:  # the linker script holds the board's memory map: say it plainly, with the numbers
            region, excess = overflow.group(1), int(overflow.group(2))
            raise FirmwareBuildError(f"the {board} firmware does not fit the board: {region} overflowed by "
                                     f"{excess} bytes (memory map in configs/boards/{board}.yaml); a smaller "
                                     f"model, or a board with more {region}")
        detail = "\n".join(output.splitlines()[-25:])
        raise FirmwareBuildError(f"building the {board} firmware in {cwd} failed ({' '.join(command)}):\n{detail}")
    return result.stdout


def _image(project: Path, manifest: dict, sections: dict[str, int]) -> FirmwareImage:
    stem = project / OUTPUT_STEM
    common = {"board": manifest["board"], "project_dir": project, "model_sha256": manifest["model_sha256"],
              "map": stem.with_suffix(".map"), "sections": sections}
    if manifest["kind"] == "host":
        return FirmwareImage(**common, elf=None, bin=None, hex=None, executable=stem, flash_bytes=None,
                             ram_bytes=None)
    return FirmwareImage(**common, elf=stem.with_suffix(".elf"), bin=stem.with_suffix(".bin"),
                         hex=stem.with_suffix(".hex"), executable=None, flash_bytes=elf_size.flash_bytes(sections),
                         ram_bytes=elf_size.ram_bytes(sections))


def firmware_sections(elf: Path) -> dict[str, int]:
    """Section sizes of a firmware ELF (``arm-none-eabi-size -A``)."""
    tool = shutil.which("arm-none-eabi-size")
    if tool is None:
        raise FirmwareBuildError(f"arm-none-eabi-size not found on PATH; {_TOOLS_HINT}")
    result = subprocess.run([tool, "-A", str(elf)], capture_output=True, text=True)
    if result.returncode != 0:
        raise FirmwareBuildError(f"arm-none-eabi-size -A {elf} failed: {result.stderr.strip()}")
    sizes = elf_size.parse_section_sizes(result.stdout)
    # debug information and notes are not loaded onto the board
    return {name: size for name, size in sizes.items() if not name.startswith(_NOT_LOADED)}
