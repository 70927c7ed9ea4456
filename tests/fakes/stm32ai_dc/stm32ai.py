"""``Stm32Ai``: the client's facade, forwarding to its backend (same signatures and defaults as the real one)."""
import typing

from .types import AnalyzeResult, BenchmarkResult, BoardData, CliParameters, Stm32AiBackend


class Stm32Ai(Stm32AiBackend):
    def __init__(self, backend: Stm32AiBackend) -> None:
        self.backend = backend

    def analyze(self, options: CliParameters) -> AnalyzeResult:
        return self.backend.analyze(options)

    def benchmark(self, options: CliParameters, board_name: str, timeout=600) -> BenchmarkResult:
        return self.backend.benchmark(options, board_name, timeout)

    def get_benchmark_boards(self) -> typing.List[BoardData]:
        return self.backend.get_benchmark_boards()

    def list_models(self):
        return self.backend.list_models()

    def upload_model(self, filePath: str):
        return self.backend.upload_model(filePath)

    def delete_model(self, modelName: str):
        return self.backend.delete_model(modelName)
