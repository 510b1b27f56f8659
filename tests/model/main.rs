//! Native tests of the data model across surfaces: what the SSP, the S2S
//! events and the operator write is what insights read.

mod rollups;
