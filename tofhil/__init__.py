"""What the exporter and the HIL harness share, without TensorFlow: board specs, typed readers of run and
export folders, firmware project generation and build, the ctypes host library."""
from tofhil.paths import boards_dir, templates_dir

__all__ = ["boards_dir", "templates_dir"]
