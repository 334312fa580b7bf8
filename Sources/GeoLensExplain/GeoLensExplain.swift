/// GeoLensExplain: attributions for segmentation models on GeoLens's engine — CAM methods
/// (GradCAM, GradCAM++, HiResCAM, LayerCAM) on named layers, the SHAP family over band groups
/// optionally crossed with grid or SLIC superpixel cells (exact Shapley, KernelSHAP,
/// GradientSHAP, integrated gradients), DeepLIFT and DeepSHAP (rescale rule, any number of model
/// inputs), segmentation targets, and
/// sanity checks (deletion/insertion AUC, cascading model randomization).
public enum GeoLensExplain {}
