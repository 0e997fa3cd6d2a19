namespace Rollout.Interop.Tests.Support;

internal static class Views
{
    /// <summary>A copy of what the kernels see through <paramref name="view"/>.</summary>
    public static float[] Read(this ArrayView<float> view) => ((ArrayView1D<float, Stride1D.Dense>)view).GetAsArray1D();
}
