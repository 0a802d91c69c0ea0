using TorchSharp;
using static TorchSharp.torch;

namespace MiniHaiku.Optim;

/// <summary>
/// Where each tensor of a <see cref="Params"/> lives in one contiguous 1-D buffer: the paths in key order, their
/// shapes, element counts and offsets. All tensors share one floating dtype and one device. A <see cref="Params"/>
/// made by <see cref="Views"/> is <em>flat-backed</em>: its tensors are views of one buffer (the map carries its layout,
/// <see cref="Params.FlatBacking"/>; any change to the map makes a new, untagged one), so <see cref="TryGetFlat"/> recovers the whole buffer
/// with one <c>as_strided</c> and an elementwise optimizer runs a handful of kernels whatever the tensor count.
/// </summary>
internal sealed class FlatLayout
{
    private FlatLayout(string[] paths, long[][] shapes, long[] sizes, ScalarType dtype, Device device)
    {
        Paths = paths;
        Shapes = shapes;
        Sizes = sizes;
        Offsets = new long[sizes.Length];
        long total = 0;
        for (var i = 0; i < sizes.Length; i++)
        {
            Offsets[i] = total;
            total += sizes[i];
        }
        Total = total;
        DType = dtype;
        Device = device;
        Strides = new long[shapes.Length][];
        for (var i = 0; i < shapes.Length; i++)
        {
            var strides = new long[shapes[i].Length];
            long stride = 1;
            for (var d = strides.Length - 1; d >= 0; d--)
            {
                strides[d] = stride;
                stride *= shapes[i][d];
            }
            Strides[i] = strides;
        }
    }

    /// <summary>The contiguous strides of each shape.</summary>
    public long[][] Strides { get; }

    public string[] Paths { get; }
    public long[][] Shapes { get; }
    public long[] Sizes { get; }
    public long[] Offsets { get; }
    public long Total { get; }
    public ScalarType DType { get; }
    public Device Device { get; }

    /// <summary>
    /// The layout of <paramref name="parameters"/>: its own when it is flat-backed, else a new one, or null when the
    /// tensors cannot share a buffer (none, mixed dtypes or devices, a non-floating or disposed tensor).
    /// </summary>
    public static FlatLayout? Of(Params parameters)
    {
        if (parameters.FlatBacking is { } own) return own;
        var n = parameters.Count;
        if (n == 0) return null;
        var paths = new string[n];
        var shapes = new long[n][];
        var sizes = new long[n];
        ScalarType? dtype = null;
        Device? device = null;
        var i = 0;
        foreach (var (path, t) in parameters)
        {
            if (t.IsInvalid || !t.is_floating_point()) return null;
            if (dtype is null)
            {
                dtype = t.dtype;
                device = t.device;
            }
            else if (t.dtype != dtype || t.device_type != device!.type || t.device_index != device.index) return null;
            paths[i] = path;
            shapes[i] = t.shape;
            sizes[i] = t.numel();
            i++;
        }
        return new FlatLayout(paths, shapes, sizes, dtype!.Value, device!);
    }

    /// <summary>Whether <paramref name="other"/> has the same paths and shapes (hence the same offsets).</summary>
    public bool SameAs(FlatLayout other)
    {
        if (ReferenceEquals(this, other)) return true;
        if (other.Paths.Length != Paths.Length || other.DType != DType || other.Device.type != Device.type || other.Device.index != Device.index) return false;
        for (var i = 0; i < Paths.Length; i++)
            if (!string.Equals(Paths[i], other.Paths[i], StringComparison.Ordinal) || !ShapeText.SameShape(Shapes[i], other.Shapes[i])) return false;
        return true;
    }

    /// <summary>
    /// The whole buffer behind a flat-backed <paramref name="values"/> of this layout (a new handle on the same
    /// storage, to be disposed by the caller's scope), or null when <paramref name="values"/> is not flat-backed
    /// with this layout or a tensor of it was disposed.
    /// </summary>
    public Tensor? TryGetFlat(Params values) => Backs(values) ? values[Paths[0]].as_strided([Total], [1], 0) : null;

    /// <summary>Whether <paramref name="values"/> is flat-backed with this layout and none of its tensors was disposed.</summary>
    public bool Backs(Params values)
    {
        if (values.FlatBacking is not { } layout || !SameAs(layout)) return false;
        foreach (var t in values.Values)
            if (t.IsInvalid) return false;
        return true;
    }

    /// <summary>A new contiguous buffer holding <paramref name="values"/> (keys and shapes of this layout) in order.</summary>
    public Tensor Pack(Params values)
    {
        var parts = new Tensor[Paths.Length];
        for (var i = 0; i < Paths.Length; i++) parts[i] = values[Paths[i]].reshape(-1);
        var flat = torch.cat(parts, 0);
        foreach (var p in parts) p.Dispose();
        return flat.dtype == DType ? flat : flat.to_type(DType);
    }

    /// <summary>Whether <paramref name="values"/> has exactly this layout's keys, shapes, dtype and device (so it can be packed).</summary>
    public bool Fits(Params values)
    {
        if (values.Count != Paths.Length) return false;
        for (var i = 0; i < Paths.Length; i++)
        {
            if (!values.TryGetValue(Paths[i], out var t) || t.IsInvalid || t.dtype != DType) return false;
            if (t.device_type != Device.type || t.device_index != Device.index || !ShapeText.SameShape(t.shape, Shapes[i])) return false;
        }
        return true;
    }

    /// <summary>The flat buffer of <paramref name="values"/>: its own if flat-backed with this layout, else a packed copy.</summary>
    public Tensor FlatOf(Params values, out bool copied)
    {
        var own = TryGetFlat(values);
        copied = own is null;
        return own ?? Pack(values);
    }

    /// <summary>A flat-backed <see cref="Params"/> of views of <paramref name="flat"/> (which must have <see cref="Total"/> elements).</summary>
    public Params Views(Tensor flat)
    {
        return Params.CreateFlatBacked(ViewPairs(flat), this);
    }

    /// <summary>Views of <paramref name="flat"/> without registering them as flat-backed (e.g. autograd views of a leaf, gradients for callbacks).</summary>
    public Params UnregisteredViews(Tensor flat) => Params.Create(ViewPairs(flat));

    // Outside autograd, one as_strided per tensor (half the native calls of split + view); a tensor that requires grad
    // is split (split's backward is one cat, as_strided's is not).
    private KeyValuePair<string, Tensor>[] ViewPairs(Tensor flat)
    {
        var pairs = new KeyValuePair<string, Tensor>[Paths.Length];
        if (flat.requires_grad && torch.is_grad_enabled())
        {
            var parts = flat.split(Sizes, 0);
            for (var i = 0; i < Paths.Length; i++)
            {
                pairs[i] = new(Paths[i], parts[i].view(Shapes[i]));
                parts[i].Dispose();
            }
            return pairs;
        }
        var start = flat.storage_offset();
        for (var i = 0; i < Paths.Length; i++) pairs[i] = new(Paths[i], flat.as_strided(Shapes[i], Strides[i], start + Offsets[i]));
        return pairs;
    }

    /// <summary>Whether <paramref name="values"/> is flat-backed (made by <see cref="Views"/>).</summary>
    public static bool IsFlatBacked(Params values) => values.FlatBacking is not null;
}
