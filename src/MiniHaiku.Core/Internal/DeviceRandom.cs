using TorchSharp;
using static TorchSharp.torch;

namespace MiniHaiku.Internal;

/// <summary>
/// Random tensors for any device from the library's CPU generators (<see cref="RngKey.CreateGenerator"/>): drawn on
/// the CPU, then moved. A CUDA op rejects a CPU generator, and drawing on the CPU gives the same values on every device.
/// </summary>
internal static class DeviceRandom
{
    /// <summary>Uniform [0, 1) values of <paramref name="shape"/> on <paramref name="device"/>.</summary>
    public static Tensor Rand(long[] shape, ScalarType dtype, Device device, Generator generator) =>
        OnDevice(torch.rand(shape, dtype: dtype, generator: generator), device);

    /// <summary>Standard normal values of <paramref name="shape"/> on <paramref name="device"/>.</summary>
    public static Tensor Randn(long[] shape, ScalarType dtype, Device device, Generator generator) =>
        OnDevice(torch.randn(shape, dtype: dtype, generator: generator), device);

    /// <summary><paramref name="cpu"/> itself on the CPU, else a copy on <paramref name="device"/> (the CPU tensor is disposed).</summary>
    public static Tensor OnDevice(Tensor cpu, Device device)
    {
        if (device.type == DeviceType.CPU) return cpu;
        using (cpu) return cpu.to(device);
    }
}
