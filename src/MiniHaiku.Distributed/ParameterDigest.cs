using System.Security.Cryptography;
using System.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace MiniHaiku.Distributed;

/// <summary>A fingerprint of parameters, for checking that ranks (or runs) hold bitwise the same values.</summary>
public static class ParameterDigest
{
    /// <summary>
    /// SHA-256 over every entry in key order: its name, dtype, shape and raw bytes. Equal digests mean
    /// bitwise-equal parameters (up to hash collisions); one flipped bit changes it.
    /// </summary>
    /// <param name="parameters">The parameters (CPU or not; they are copied to the CPU to be read).</param>
    /// <returns>64 lower-case hex digits.</returns>
    public static string Of(Params parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var (name, tensor) in parameters)
        {
            hash.AppendData(Encoding.UTF8.GetBytes($"{name}\0{tensor.dtype}\0{string.Join(",", tensor.shape)}\0"));
            if (tensor.numel() == 0) continue;
            using var cpu = tensor.detach().cpu().contiguous();
            hash.AppendData(cpu.bytes);
        }
        return Convert.ToHexString(hash.GetHashAndReset()).ToLowerInvariant();
    }
}
