// TCAV: public surface (see README.md in this folder).
export { runTcav, type TcavOptions, type TcavResult, type TcavConceptResult } from './tcav.js';
export { resolveConcept, type Concept, type ConceptContext } from './concepts.js';
export { trainProbe, scriptLabelHead, type LabelHead, type ProbeOptions } from './label-head.js';
export { fitCav, type Cav, type CavOptions } from './cav.js';
export { welchTTest, studentTCdf, twoSidedP, regularizedIncompleteBeta, type TTestResult } from './stats.js';
