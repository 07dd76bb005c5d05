// Label names and tasks of the MedMNIST v2/v3 subsets, as published in MedMNIST's INFO table
// (https://github.com/MedMNIST/MedMNIST, medmnist/info.py). The .npz files hold only integer labels.
import type { LabelTask } from './types.js';

/** What latentlens knows about one MedMNIST subset. */
export interface MedMNISTInfo {
  /** Label task. */
  task: LabelTask;
  /** Class names (or label column names for multi-label ChestMNIST), by label value. */
  classNames: string[];
  /** Whether the images are 3D volumes (N x D x H x W). */
  volumetric: boolean;
}

const organs = [
  'bladder',
  'femur-left',
  'femur-right',
  'heart',
  'kidney-left',
  'kidney-right',
  'liver',
  'lung-left',
  'lung-right',
  'pancreas',
  'spleen',
];
const d2 = (task: LabelTask, classNames: string[]): MedMNISTInfo => ({ task, classNames, volumetric: false });
const d3 = (task: LabelTask, classNames: string[]): MedMNISTInfo => ({ task, classNames, volumetric: true });

/** MedMNIST subsets by flag (file name without size suffix). */
export const MEDMNIST_INFO: Record<string, MedMNISTInfo> = {
  pathmnist: d2('multiclass', [
    'adipose',
    'background',
    'debris',
    'lymphocytes',
    'mucus',
    'smooth muscle',
    'normal colon mucosa',
    'cancer-associated stroma',
    'colorectal adenocarcinoma epithelium',
  ]),
  chestmnist: d2('multilabel', [
    'atelectasis',
    'cardiomegaly',
    'effusion',
    'infiltration',
    'mass',
    'nodule',
    'pneumonia',
    'pneumothorax',
    'consolidation',
    'edema',
    'emphysema',
    'fibrosis',
    'pleural',
    'hernia',
  ]),
  dermamnist: d2('multiclass', [
    'actinic keratoses and intraepithelial carcinoma',
    'basal cell carcinoma',
    'benign keratosis-like lesions',
    'dermatofibroma',
    'melanoma',
    'melanocytic nevi',
    'vascular lesions',
  ]),
  octmnist: d2('multiclass', ['choroidal neovascularization', 'diabetic macular edema', 'drusen', 'normal']),
  pneumoniamnist: d2('binary', ['normal', 'pneumonia']),
  retinamnist: d2('ordinal', ['0', '1', '2', '3', '4']),
  breastmnist: d2('binary', ['malignant', 'normal, benign']),
  bloodmnist: d2('multiclass', ['basophil', 'eosinophil', 'erythroblast', 'ig', 'lymphocyte', 'monocyte', 'neutrophil', 'platelet']),
  tissuemnist: d2('multiclass', [
    'Collecting Duct, Connecting Tubule',
    'Distal Convoluted Tubule',
    'Glomerular endothelial cells',
    'Interstitial endothelial cells',
    'Leukocytes',
    'Podocytes',
    'Proximal Tubule Segments',
    'Thick Ascending Limb',
  ]),
  organamnist: d2('multiclass', organs),
  organcmnist: d2('multiclass', organs),
  organsmnist: d2('multiclass', organs),
  // MedMNIST v1 names of the organ subsets.
  organmnist_axial: d2('multiclass', organs),
  organmnist_coronal: d2('multiclass', organs),
  organmnist_sagittal: d2('multiclass', organs),
  organmnist3d: d3('multiclass', [
    'liver',
    'kidney-right',
    'kidney-left',
    'femur-right',
    'femur-left',
    'bladder',
    'heart',
    'lung-right',
    'lung-left',
    'spleen',
    'pancreas',
  ]),
  nodulemnist3d: d3('binary', ['benign', 'malignant']),
  adrenalmnist3d: d3('binary', ['normal', 'hyperplasia']),
  fracturemnist3d: d3('multiclass', ['buckle rib fracture', 'nondisplaced rib fracture', 'displaced rib fracture']),
  vesselmnist3d: d3('binary', ['vessel', 'aneurysm']),
  synapsemnist3d: d3('binary', ['inhibitory synapse', 'excitatory synapse']),
};
