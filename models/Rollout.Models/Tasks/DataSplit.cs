namespace Rollout.Models.Tasks;

/// <summary>Which side of the train / held-out partition a problem belongs to.</summary>
public enum DataSplit { Train, Test }
