"""The exception classes of ``stm32ai_dc.errors`` the client raises on the paths the harness uses, with the real
bases and constructor chains (so a message reads as the real one: ``BenchmarkParameterError`` goes through
``ParameterError`` and then ``BenchmarkError``, which puts ``BenchmarkError: `` in front).

(The misspelling ``InvalidCrendetialsException`` is the real client's class name.)
"""


class InvalidCrendetialsException(Exception):
    def __init__(self) -> None:
        super().__init__("Invalid credentials. Please verify.")


class BlockedAccountException(Exception):
    def __init__(self) -> None:
        super().__init__("myST detected multiple erroneous trials. Please change your password on st.com")


class LoginFailureException(Exception):
    def __init__(self, username, password, details: str = "") -> None:
        stars = "*" * len(password or "")
        super().__init__(f"Fail to login with username: '{username or ''}' and password: '{stars}'. {details}")


class ServerError(Exception):
    def __init__(self, message) -> None:
        super().__init__(message)


class AnalyzeServerError(ServerError):
    def __init__(self, message) -> None:
        super().__init__(f"AnalyzeServerError: {message}")


class BenchmarkError(Exception):
    def __init__(self, message) -> None:
        super().__init__(f"BenchmarkError: {message}")


class BenchmarkServerError(ServerError, BenchmarkError):
    def __init__(self, message) -> None:
        super().__init__(f"BenchmarkServerError: {message}")


class BenchmarkFailure(BenchmarkError):
    def __init__(self, board, message) -> None:
        super().__init__(f"Benchmark failed on board {board}: {message}")


class ParameterError(Exception):
    def __init__(self, why) -> None:
        super().__init__(why)


class BenchmarkParameterError(ParameterError, BenchmarkError):
    def __init__(self, board, message) -> None:
        super().__init__(f"Benchmark failed on board {board}: {message}")


class ModelNotFoundError(Exception):
    def __init__(self, message) -> None:
        super().__init__(f"ModelNotFoundError: {message}")


class WrongTypeError(Exception):
    def __init__(self, value, expected_type) -> None:
        super().__init__(f"{type(value)} value received, expected: {expected_type}")
