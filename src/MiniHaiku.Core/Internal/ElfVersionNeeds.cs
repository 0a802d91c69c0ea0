using System.Buffers.Binary;
using System.Text;

namespace MiniHaiku.Internal;

/// <summary>
/// Reads and edits the version needs (<c>.gnu.version_r</c>, <c>SHT_GNU_verneed</c>) of a 64-bit little-endian
/// ELF shared library: the <c>GLIBCXX_3.4.32</c> fix-up marks one need weak (<c>VER_FLG_WEAK</c>), so the dynamic
/// loader accepts a libstdc++ without that version. The same edit as build/LibTorchSharpGlibcxx.targets.
/// </summary>
internal static class ElfVersionNeeds
{
    /// <summary><c>VER_FLG_WEAK</c> in <c>vna_flags</c>.</summary>
    internal const ushort WeakFlag = 0x2;

    private const uint ShtGnuVerneed = 0x6ffffffe;

    /// <summary>The <c>vna_flags</c> of the need named <paramref name="version"/>, or null when the file is not
    /// ELF64 LE or has no such need.</summary>
    internal static ushort? Flags(byte[] elf, string version)
    {
        foreach (var aux in NeedsNamed(elf, version)) return BinaryPrimitives.ReadUInt16LittleEndian(elf.AsSpan(aux + 4));
        return null;
    }

    /// <summary>Sets <see cref="WeakFlag"/> on every need named <paramref name="version"/>, in the array;
    /// true when something changed.</summary>
    internal static bool MarkWeak(byte[] elf, string version)
    {
        var changed = false;
        foreach (var aux in NeedsNamed(elf, version))
        {
            var flags = BinaryPrimitives.ReadUInt16LittleEndian(elf.AsSpan(aux + 4));
            if ((flags & WeakFlag) != 0) continue;
            BinaryPrimitives.WriteUInt16LittleEndian(elf.AsSpan(aux + 4), (ushort)(flags | WeakFlag));
            changed = true;
        }
        return changed;
    }

    /// <summary>Offsets of the <c>Elf64_Vernaux</c> entries whose name is <paramref name="version"/>.</summary>
    private static List<int> NeedsNamed(byte[] b, string version)
    {
        var found = new List<int>();
        if (b.Length < 64 || b[0] != 0x7f || b[1] != (byte)'E' || b[2] != (byte)'L' || b[3] != (byte)'F' || b[4] != 2 || b[5] != 1)
            return found;
        var span = b.AsSpan();
        var shoff = (int)BinaryPrimitives.ReadInt64LittleEndian(span[0x28..]);
        int shentsize = BinaryPrimitives.ReadUInt16LittleEndian(span[0x3A..]), shnum = BinaryPrimitives.ReadUInt16LittleEndian(span[0x3C..]);
        var wanted = Encoding.ASCII.GetBytes(version);
        for (var i = 0; i < shnum; i++)
        {
            var sh = shoff + i * shentsize;
            if (BinaryPrimitives.ReadUInt32LittleEndian(span[(sh + 4)..]) != ShtGnuVerneed) continue;
            var offset = (int)BinaryPrimitives.ReadInt64LittleEndian(span[(sh + 0x18)..]);
            var link = BinaryPrimitives.ReadInt32LittleEndian(span[(sh + 0x28)..]);
            var count = BinaryPrimitives.ReadInt32LittleEndian(span[(sh + 0x2C)..]);
            var strings = (int)BinaryPrimitives.ReadInt64LittleEndian(span[(shoff + link * shentsize + 0x18)..]);
            var vn = offset;
            for (var n = 0; n < count; n++)
            {
                int auxCount = BinaryPrimitives.ReadUInt16LittleEndian(span[(vn + 2)..]);
                var aux = vn + (int)BinaryPrimitives.ReadUInt32LittleEndian(span[(vn + 8)..]);
                for (var a = 0; a < auxCount; a++)
                {
                    var name = strings + (int)BinaryPrimitives.ReadUInt32LittleEndian(span[(aux + 8)..]);
                    var end = span[name..].IndexOf((byte)0);
                    if (end >= 0 && span.Slice(name, end).SequenceEqual(wanted)) found.Add(aux);
                    aux += (int)BinaryPrimitives.ReadUInt32LittleEndian(span[(aux + 12)..]);
                }
                vn += (int)BinaryPrimitives.ReadUInt32LittleEndian(span[(vn + 12)..]);
            }
        }
        return found;
    }
}
