using Acclimate.Errors;
using TorchSharp;
using static TorchSharp.torch;

namespace Acclimate.FineTuning;

/// <summary>
/// Overlapping windows over a token sequence longer than the model takes, and the rule that merges
/// their per-token outputs: each token's output comes from the window in which it is farthest from
/// a window edge (the most context on its nearer side), the earlier window on a tie.
/// </summary>
/// <remarks>
/// Windows cover content tokens only; the caller's special tokens (e.g. [CLS] … [SEP], &lt;s&gt; …
/// &lt;/s&gt;) are added to every window by <see cref="InputIds"/>. Window starts are 0, stride,
/// 2·stride, …; the last window is aligned to the end of the sequence, so every window has the
/// same length and windows batch without padding. <c>stride</c> is the step between window starts
/// (the overlap is window length − stride; HF tokenizers' <c>stride</c> argument is the overlap).
/// The plan itself needs no torch (only <see cref="Merge"/> does), so ONNX Runtime inference plans
/// its windows with it too and merges exactly as <c>predict</c> does.
/// </remarks>
public sealed class SlidingWindowPlan
{
    private readonly TokenWindow[] _windows;
    private readonly int[] _owner;

    private SlidingWindowPlan(int contentLength, int windowLength, TokenWindow[] windows)
    {
        ContentLength = contentLength;
        WindowLength = windowLength;
        _windows = windows;
        _owner = new int[contentLength];
        // Windows are sorted by start, so only windows near p can contain it; a linear sweep keeps this O(N · overlap / stride).
        var first = 0;
        for (var p = 0; p < contentLength; p++)
        {
            while (!_windows[first].Contains(p)) first++;
            var best = first;
            for (var w = first + 1; w < _windows.Length && _windows[w].Contains(p); w++)
                if (_windows[w].ContextOf(p) > _windows[best].ContextOf(p)) best = w;
            _owner[p] = best;
        }
    }

    /// <summary>
    /// Plans windows of at most <paramref name="windowLength"/> content tokens, starting every
    /// <paramref name="stride"/> tokens. A sequence that fits gets one window.
    /// </summary>
    public static SlidingWindowPlan Create(int contentLength, int windowLength, int stride)
    {
        if (contentLength < 0) throw new ArgumentOutOfRangeException(nameof(contentLength), contentLength, "must not be negative");
        if (windowLength <= 0) throw new ConfigException($"sliding windows: the window must hold at least one token; got {windowLength}.");
        if (stride <= 0 || stride > windowLength)
            throw new ConfigException($"sliding windows: stride must be in 1..{windowLength} (the window length) so windows leave no gap; got {stride}.");
        if (contentLength <= windowLength)
            return new SlidingWindowPlan(contentLength, contentLength, contentLength == 0 ? Array.Empty<TokenWindow>() : new[] { new TokenWindow(0, contentLength) });
        var windows = new List<TokenWindow>();
        for (var start = 0; ; start += stride)
        {
            if (start + windowLength >= contentLength)
            {
                windows.Add(new TokenWindow(contentLength - windowLength, windowLength));
                break;
            }
            windows.Add(new TokenWindow(start, windowLength));
        }
        return new SlidingWindowPlan(contentLength, windowLength, windows.ToArray());
    }

    /// <summary>
    /// Plans windows for a model of <paramref name="maxLength"/> positions when each window also
    /// carries <paramref name="specialTokenCount"/> special tokens.
    /// </summary>
    public static SlidingWindowPlan ForModel(int contentLength, int maxLength, int specialTokenCount, int stride)
    {
        if (specialTokenCount < 0 || specialTokenCount >= maxLength)
            throw new ConfigException($"sliding windows: {specialTokenCount} special tokens leave no room in {maxLength} positions.");
        return Create(contentLength, maxLength - specialTokenCount, stride);
    }

    /// <summary>Content tokens of the whole sequence.</summary>
    public int ContentLength { get; }

    /// <summary>Content tokens per window (all windows have this length).</summary>
    public int WindowLength { get; }

    /// <summary>The windows, sorted by start.</summary>
    public IReadOnlyList<TokenWindow> Windows => _windows;

    /// <summary>For each content token, the index of the window its output is taken from.</summary>
    public IReadOnlyList<int> Owner => _owner;

    /// <summary>A window's model input: prefix + its content tokens + suffix.</summary>
    public long[] InputIds(int window, IReadOnlyList<long> contentIds, IReadOnlyList<long> prefix, IReadOnlyList<long> suffix)
    {
        if (contentIds.Count != ContentLength)
            throw new DataException($"sliding windows: planned for {ContentLength} tokens, given {contentIds.Count}.");
        var w = _windows[window];
        var ids = new long[prefix.Count + w.Length + suffix.Count];
        for (var i = 0; i < prefix.Count; i++) ids[i] = prefix[i];
        for (var i = 0; i < w.Length; i++) ids[prefix.Count + i] = contentIds[w.Start + i];
        for (var i = 0; i < suffix.Count; i++) ids[prefix.Count + w.Length + i] = suffix[i];
        return ids;
    }

    /// <summary>
    /// Merges per-window outputs into one output per content token. <paramref name="windowOutputs"/>
    /// is [windows, prefixLength + WindowLength + suffix, …] (the model's outputs on the windows'
    /// inputs, special positions included); the result is [ContentLength, …], row p copied from
    /// window <see cref="Owner"/>[p] in one gather.
    /// </summary>
    public Tensor Merge(Tensor windowOutputs, int prefixLength)
    {
        if (windowOutputs.dim() < 2 || windowOutputs.shape[0] != _windows.Length || windowOutputs.shape[1] < prefixLength + WindowLength)
            throw new DataException($"sliding windows: expected outputs [{_windows.Length}, ≥{prefixLength + WindowLength}, …]; got [{string.Join(", ", windowOutputs.shape)}].");
        var positions = windowOutputs.shape[1];
        var rows = new long[ContentLength];
        for (var p = 0; p < ContentLength; p++)
        {
            var w = _owner[p];
            rows[p] = w * positions + prefixLength + (p - _windows[w].Start);
        }
        using var scope = NewDisposeScope();
        var flat = windowOutputs.reshape(new[] { _windows.Length * positions }.Concat(windowOutputs.shape.Skip(2)).ToArray());
        return flat.index_select(0, tensor(rows, device: windowOutputs.device)).MoveToOuterDisposeScope();
    }
}
