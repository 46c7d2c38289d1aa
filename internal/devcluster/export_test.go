package devcluster

// SplitYAMLDocuments exposes splitYAMLDocuments to the external tests.
var SplitYAMLDocuments = splitYAMLDocuments

// KubernetesGoMod exposes kubernetesGoMod to the external tests.
var KubernetesGoMod = kubernetesGoMod
