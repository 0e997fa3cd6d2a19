using Rollout.Kernels.Svd;

namespace Rollout.Kernels.Tests.Svd;

public sealed class HeadCoreTests
{
    [Fact]
    public void A_core_is_a_copy_equal_by_value_so_a_caller_cannot_change_it_behind_a_cache()
    {
        float[] values = [1, 2, 3, 4];
        var core = new HeadCore(2, values);
        values[0] = 99; // a trainer updating its own array in place
        Assert.Equal([1f, 2, 3, 4], core.ToArray());
        core.ToArray()[1] = 99;
        Assert.Equal(2f, core.Values[1]);

        Assert.Equal(new HeadCore(2, [1, 2, 3, 4]), core);
        Assert.Equal(new HeadCore(2, [1, 2, 3, 4]).GetHashCode(), core.GetHashCode());
        Assert.NotEqual(new HeadCore(2, [1, 2, 3, 5]), core);
        Assert.NotEqual(HeadCore.Zero(1), HeadCore.Zero(2));
        Assert.Throws<ArgumentException>(() => new HeadCore(2, [1, 2, 3]));
    }
}
