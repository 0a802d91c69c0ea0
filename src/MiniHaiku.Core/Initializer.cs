using TorchSharp;
using static TorchSharp.torch;

namespace MiniHaiku;

/// <summary>
/// Creates the initial value of a parameter or state. It must draw all randomness from
/// <paramref name="generator"/> (seeded from the run's key and the parameter path), never from torch's
/// global generator. See <see cref="Initializers"/> for the standard ones.
/// </summary>
/// <example><code>Initializer halves = (shape, dtype, generator) => full(shape, 0.5, dtype: dtype);   // random ones draw from generator only</code></example>
/// <param name="shape">The requested shape.</param>
/// <param name="dtype">The requested element type.</param>
/// <param name="generator">The generator to draw from.</param>
/// <returns>A new tensor of exactly <paramref name="shape"/>.</returns>
public delegate Tensor Initializer(long[] shape, ScalarType dtype, Generator generator);
