// TCAV: public surface (see README.md in this folder).
export {
  runTcav,
  TCAV_RESULT_VERSION,
  type TcavOptions,
  type TcavResult,
  type TcavConceptResult,
  type TcavVerdict,
  type TcavProbeGate,
} from './tcav.js';
export { resolveConcept, type Concept, type ConceptContext } from './concepts.js';
export { trainProbe, scriptLabelHead, majorityRate, type LabelHead, type ProbeOptions } from './label-head.js';
export { CavFitter, fitCav, type Cav, type CavOptions } from './cav.js';
export { welchTTest, studentTCdf, twoSidedP, regularizedIncompleteBeta, wilsonLowerBound, type TTestResult } from '../../core/stats.js';
