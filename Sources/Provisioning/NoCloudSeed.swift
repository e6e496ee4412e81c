import VMCtlModel

/// The NoCloud seed of one VM (being written).
public enum NoCloudSeed {}
