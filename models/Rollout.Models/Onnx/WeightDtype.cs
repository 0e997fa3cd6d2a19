namespace Rollout.Models.Onnx;

/// <summary>How weights are stored in model.onnx. Float16 initializers are cast to float32 inside the graph, so I/O stays float32.</summary>
public enum WeightDtype { Float32, Float16 }
