"""The byte format of stored vectors (`profile_vector.vector`): raw little-endian float32."""

from __future__ import annotations

import numpy as np

# Little-endian whatever the platform, so that a row read on any machine (or by numpy's frombuffer)
# decodes to the same numbers.
_STORAGE_DTYPE = np.dtype("<f4")


def vector_to_bytes(vector: np.ndarray) -> bytes:
    """Serialise one vector for storage as little-endian float32.

    Args:
        vector: A 1-D array.

    Returns:
        ``4 * len(vector)`` bytes.
    """
    array = np.asarray(vector)
    if array.ndim != 1:
        raise ValueError(f"expected a 1-D vector, got shape {array.shape}")
    return array.astype(_STORAGE_DTYPE, copy=False).tobytes()


def bytes_to_vector(data: bytes, dimension: int | None = None) -> np.ndarray:
    """Decode a vector written by `vector_to_bytes`.

    Args:
        data: The stored bytes.
        dimension: If given, the expected vector length.

    Returns:
        A writable, native-endian float32 vector.

    Raises:
        ValueError: The byte length is not a whole number of float32 values or does not match
            `dimension`.
    """
    if len(data) % _STORAGE_DTYPE.itemsize:
        raise ValueError(f"{len(data)} bytes is not a whole number of float32 values")
    vector = np.frombuffer(data, dtype=_STORAGE_DTYPE).astype(np.float32)
    if dimension is not None and vector.shape[0] != dimension:
        raise ValueError(f"expected {dimension} values, got {vector.shape[0]}")
    return vector
