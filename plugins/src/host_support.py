# The Python half of AttnScope's plugin host (compiled into attnscope_plugins as a string and
# run once in the embedded interpreter). It reads plugin metadata without executing scripts,
# imports and purges plugin modules, calls plugin functions, checks what they return, and
# turns failures into messages that name the plugin, its file and the user's line.
import ast
import importlib.util
import json
import math
import os
import sys
import traceback
import types

import numpy as np

API_VERSION = 1
PARAM_TYPES = ("int", "float", "bool", "enum", "str")
METADATA_NAME = "ATTNSCOPE_PLUGIN"


class PluginError(Exception):
    """Raise it from a plugin to report a problem: only its message is shown, no traceback."""


class Cancelled(BaseException):
    """Raised by Context.check_cancelled() and, when a plugin does not check, asynchronously
    by the host. A BaseException, so that `except Exception` in a plugin does not swallow it."""


class MetadataError(Exception):
    def __init__(self, message, line):
        super().__init__(message)
        self.line = line


class Context:
    """What a metric function receives: read-only numpy views of the captured tensors of one
    prompt, its tokens, the model's configuration, and progress/cancel/log callbacks."""

    def __init__(self, activations, tokens, token_strings, config, progress, is_cancelled,
                 log, item_index, item_count, item_fields):
        self.activations = activations
        self.tokens = tokens
        self.token_strings = token_strings
        self.config = config
        self.n_layers = config["n_layers"]
        self.n_heads = config["n_heads"]
        self.item_index = item_index
        self.item_count = item_count
        self.item = item_fields
        self._progress = progress
        self._is_cancelled = is_cancelled
        self._log = log

    def pattern(self, layer):
        """blocks.{layer}.attn.hook_pattern: [head, query, key], read-only."""
        return self.activations["blocks.%d.attn.hook_pattern" % layer]

    def progress(self, fraction):
        self._progress(float(fraction))

    def check_cancelled(self):
        if self._is_cancelled():
            raise Cancelled("cancelled")

    def log(self, message):
        self._log(str(message))


def _install_api_module():
    module = types.ModuleType("attnscope")
    module.__doc__ = "AttnScope's plugin API (see docs/plugins.md)."
    module.API_VERSION = API_VERSION
    module.PluginError = PluginError
    module.Cancelled = Cancelled
    module.Context = Context
    sys.modules["attnscope"] = module


_install_api_module()

# ---------------------------------------------------------------------------------------------
# Metadata: read with ast.literal_eval, never by running the script.


def _literal_line(node, value):
    """The line of the string constant `value` inside the literal `node` (else node's line)."""
    for child in ast.walk(node):
        if isinstance(child, ast.Constant) and child.value == value:
            return child.lineno
    return node.lineno


def _require(entry, key, kind, where, line):
    if key not in entry:
        raise MetadataError("%s: missing key '%s'" % (where, key), line)
    value = entry[key]
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise MetadataError("%s: '%s' must be %s, got %r" % (where, key, kind.__name__, value), line)
    return value


def _check_parameter(p, where, line):
    if not isinstance(p, dict):
        raise MetadataError("%s: a parameter must be a dict, got %r" % (where, p), line)
    name = _require(p, "name", str, where, line)
    where = "%s parameter '%s'" % (where, name)
    kind = _require(p, "type", str, where, line)
    if kind not in PARAM_TYPES:
        raise MetadataError("%s: type '%s' is not one of %s" % (where, kind, ", ".join(PARAM_TYPES)),
                            line)
    if "default" not in p:
        raise MetadataError("%s: missing key 'default'" % where, line)
    default = p["default"]
    checks = {"int": lambda v: isinstance(v, int) and not isinstance(v, bool),
              "float": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
              "bool": lambda v: isinstance(v, bool),
              "enum": lambda v: isinstance(v, str),
              "str": lambda v: isinstance(v, str)}
    if not checks[kind](default):
        raise MetadataError("%s: default %r is not of type %s" % (where, default, kind), line)
    out = {"name": name, "type": kind, "default": default, "help": str(p.get("help", ""))}
    if kind == "enum":
        choices = p.get("choices")
        if not isinstance(choices, list) or not choices or \
                not all(isinstance(c, str) for c in choices):
            raise MetadataError("%s: an enum needs 'choices', a list of strings" % where, line)
        if default not in choices:
            raise MetadataError("%s: default %r is not among the choices" % (where, default), line)
        out["choices"] = choices
    for bound in ("min", "max"):
        if bound in p:
            if kind not in ("int", "float") or not checks["float"](p[bound]):
                raise MetadataError("%s: '%s' needs a numeric int or float parameter" %
                                    (where, bound), line)
            out[bound] = float(p[bound])
    return out


def _with_shared(shared, own):
    """The plugin's shared parameters, then the entry's own; an own parameter with a shared
    parameter's name takes its place (another default, help or range for this entry)."""
    out = list(shared)
    for p in own:
        names = [q["name"] for q in out]
        if p["name"] in names:
            out[names.index(p["name"])] = p
        else:
            out.append(p)
    return out


def _check_entry(entry, node, what, index, plugin, shared):
    where = "%s[%d]" % (what, index)
    line = getattr(node, "lineno", 1)
    if not isinstance(entry, dict):
        raise MetadataError("%s must be a dict" % where, line)
    name = _require(entry, "name", str, where, line)
    if not name.replace("_", "").replace("-", "").isalnum():
        raise MetadataError("%s: name '%s' may hold letters, digits, '_' and '-' only" %
                            (where, name), line)
    where = "%s '%s'" % (what[:-1], name)
    out = {"name": name, "line": line,
           "label": str(entry.get("label", name)),
           "description": str(entry.get("description", "")),
           "function": _require(entry, "function", str, where, line),
           "parameters": _with_shared(shared, [_check_parameter(p, where, line)
                                                for p in entry.get("parameters", [])])}
    if what == "metrics":
        hooks = _require(entry, "hooks", list, where, line)
        if not hooks or not all(isinstance(h, str) for h in hooks):
            raise MetadataError("%s: 'hooks' must be a non-empty list of hook names" % where, line)
        out["hooks"] = [{"name": h, "line": _literal_line(node, h)} for h in hooks]
    return out


def read_metadata(path):
    """The plugin's metadata dict, checked, with line numbers. Raises SyntaxError or
    MetadataError; never executes the script."""
    with open(path, encoding="utf-8") as f:
        source = f.read()
    tree = ast.parse(source, filename=path)
    node = None
    for stmt in tree.body:
        if isinstance(stmt, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == METADATA_NAME for t in stmt.targets):
            node = stmt.value
    if node is None:
        raise MetadataError("no top-level %s = {...} dict" % METADATA_NAME, 1)
    try:
        meta = ast.literal_eval(node)
    except ValueError as e:
        raise MetadataError("%s must be a literal (no names or calls): %s" % (METADATA_NAME, e),
                            node.lineno)
    if not isinstance(meta, dict):
        raise MetadataError("%s must be a dict" % METADATA_NAME, node.lineno)
    name = _require(meta, "name", str, METADATA_NAME, node.lineno)
    version = _require(meta, "api_version", int, METADATA_NAME, node.lineno)
    if version != API_VERSION:
        raise MetadataError("api_version %d is not supported (this AttnScope runs api_version %d)"
                            % (version, API_VERSION), _literal_line(node, version))
    # Parameters every metric and edit of the plugin takes (declared once).
    shared = meta.get("parameters", [])
    if not isinstance(shared, list):
        raise MetadataError("'parameters' must be a list", node.lineno)
    shared_line = node.lineno
    for k, v in zip(node.keys, node.values):
        if isinstance(k, ast.Constant) and k.value == "parameters":
            shared_line = v.lineno
    shared = [_check_parameter(p, METADATA_NAME, shared_line) for p in shared]
    entries = {}
    for what in ("metrics", "edits"):
        items = meta.get(what, [])
        nodes = []
        for k, v in zip(node.keys, node.values):
            if isinstance(k, ast.Constant) and k.value == what and isinstance(v, ast.List):
                nodes = v.elts
        if not isinstance(items, list):
            raise MetadataError("'%s' must be a list" % what, node.lineno)
        entries[what] = [_check_entry(e, nodes[i] if i < len(nodes) else node, what, i, name,
                                      shared)
                         for i, e in enumerate(items)]
    if not entries["metrics"] and not entries["edits"]:
        raise MetadataError("declares no metrics and no edits", node.lineno)
    return {"name": name, "api_version": version, "label": str(meta.get("label", name)),
            "description": str(meta.get("description", "")), "metrics": entries["metrics"],
            "edits": entries["edits"]}


def read_metadata_json(path):
    """read_metadata as JSON text, or {"error": message, "line": n} (for the C++ side)."""
    try:
        return json.dumps(read_metadata(path))
    except SyntaxError as e:
        text = "SyntaxError: %s" % e.msg
        if e.text:
            text += "\n    %s" % e.text.rstrip("\n")
            if e.offset:
                text += "\n    " + " " * (e.offset - 1 - (len(e.text) - len(e.text.lstrip()))) + "^"
        return json.dumps({"error": text, "line": e.lineno or 1})
    except MetadataError as e:
        return json.dumps({"error": str(e), "line": e.line})
    except (OSError, UnicodeDecodeError) as e:
        return json.dumps({"error": "cannot read: %s" % e, "line": 0})


# ---------------------------------------------------------------------------------------------
# Modules: imported on first use, purged on reload (numpy and other libraries stay).

_modules = {}
_plugin_dirs = set()


def _module(plugin, path):
    path = os.path.abspath(path)
    if path in _modules:
        return _modules[path]
    folder = os.path.dirname(path)
    _plugin_dirs.add(folder)
    if folder not in sys.path:
        sys.path.append(folder)  # helper modules beside the script
    name = "attnscope_plugin_" + plugin.replace("-", "_")
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise
    _modules[path] = module
    return module


def _function(plugin, path, function, line):
    fn = getattr(_module(plugin, path), function, None)
    if not callable(fn):
        raise MetadataError("declares function '%s', which the script does not define" % function,
                            line)
    return fn


def purge():
    """Forgets every plugin module: the scripts' own and whatever they imported from the plugin
    folders. Libraries (numpy included) stay loaded: importing numpy twice breaks it."""
    _modules.clear()
    for name, module in list(sys.modules.items()):
        f = getattr(module, "__file__", None)
        if f and os.path.dirname(os.path.abspath(f)) in _plugin_dirs:
            del sys.modules[name]
    importlib.invalidate_caches()


# ---------------------------------------------------------------------------------------------
# Errors: the plugin, its file, the user's line, and the traceback through the user's code.


def _user_frames(exc):
    frames = traceback.extract_tb(exc.__traceback__)
    return [f for f in frames if f.filename != "<attnscope-host>" and
            "importlib._bootstrap" not in f.filename]


def describe_error(exc, plugin, path, tb=None):
    if tb is not None:
        exc = exc.with_traceback(tb)
    if isinstance(exc, PluginError):
        return "plugin %s: %s" % (plugin, exc)
    if isinstance(exc, MetadataError):
        return "plugin %s (%s:%d): %s" % (plugin, path, exc.line, exc)
    frames = _user_frames(exc)
    line = None
    for f in frames:
        if os.path.abspath(f.filename) == os.path.abspath(path):
            line = f.lineno
    if isinstance(exc, SyntaxError) and os.path.abspath(exc.filename or "") == os.path.abspath(path):
        line = exc.lineno
    where = "%s:%d" % (path, line) if line else path
    text = "plugin %s (%s): %s" % (plugin, where,
                                   "".join(traceback.format_exception_only(type(exc), exc)).strip())
    if frames:
        text += "\nTraceback (most recent call last):\n" + "".join(traceback.format_list(frames))
    return text.rstrip("\n")


# ---------------------------------------------------------------------------------------------
# Calls.


def _check_scores(result, layers, heads, fn):
    line = fn.__code__.co_firstlineno
    arr = np.asarray(result)
    if arr.dtype.kind != "f":
        raise MetadataError("%s returned dtype %s; expected a float array [layers, heads]" %
                            (fn.__name__, arr.dtype), line)
    if arr.shape != (layers, heads):
        raise MetadataError("%s returned shape %s; expected (%d, %d) = [layers, heads]" %
                            (fn.__name__, tuple(arr.shape), layers, heads), line)
    if np.isinf(arr).any():
        raise MetadataError("%s returned infinite values; use NaN for heads it does not score" %
                            fn.__name__, line)
    if np.isnan(arr).all():
        raise MetadataError("%s returned NaN for every head (NaN means not scored)" % fn.__name__,
                            line)
    return arr.astype(np.float64)


def _plain(value):
    """Details as JSON values: arrays as lists, NaN and infinities as null."""
    if isinstance(value, np.ndarray):
        return _plain(value.tolist())
    if isinstance(value, np.generic):
        return _plain(value.item())
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, (bool, int, str)):
        return value
    raise TypeError("details hold a %s, which is not JSON" % type(value).__name__)


def run_metric(plugin, path, function, line, context, params):
    """Calls the metric; returns (scores as a flat list, details as JSON text)."""
    fn = _function(plugin, path, function, line)
    result = fn(context, params)
    details = None
    if isinstance(result, tuple) and len(result) == 2:
        result, details = result
    scores = _check_scores(result, context.n_layers, context.n_heads, fn)
    try:
        text = json.dumps(_plain(details))
    except TypeError as e:
        raise MetadataError("%s returned details that are not JSON: %s" % (fn.__name__, e),
                            fn.__code__.co_firstlineno)
    return scores.ravel().tolist(), text


def run_edit(plugin, path, function, line, pattern, params):
    """Calls the edit on one head's pattern [query, key]; returns a float32 array of its shape."""
    fn = _function(plugin, path, function, line)
    out = np.asarray(fn(pattern, params))
    if out.shape != pattern.shape or out.dtype.kind != "f":
        raise MetadataError("%s returned %s %s; expected a float array of shape %s" %
                            (fn.__name__, out.dtype, tuple(out.shape), tuple(pattern.shape)),
                            fn.__code__.co_firstlineno)
    if not np.isfinite(out).all():
        raise MetadataError("%s returned NaN or infinite attention weights" % fn.__name__,
                            fn.__code__.co_firstlineno)
    return np.ascontiguousarray(out, dtype=np.float32)


def python_info():
    return sys.executable, sys.version
