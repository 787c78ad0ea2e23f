// Circuit discovery and evaluation on a Session: the edge patcher over the cached pairs.
#include "attnscope/app/circuit_session.h"

#include <stdexcept>

#include "session_state.h"

namespace attnscope::app {

namespace circuits = analysis::circuits;

struct CircuitSession::Impl {
    Session& session;
    circuits::EdgeGraph graph;
};

CircuitSession::CircuitSession(Session& session)
    : m_impl(std::make_unique<Impl>(
          Impl{session, circuits::EdgeGraph(session.model().layers, session.model().heads,
                                            session.model().kvHeads)})) {}

CircuitSession::~CircuitSession() = default;

const circuits::EdgeGraph& CircuitSession::graph() const {
    return m_impl->graph;
}

void CircuitSession::prepare(const CircuitPairs&, const std::string&, const std::string&,
                             const capture::Progress&) {
    throw std::logic_error("CircuitSession::prepare: not implemented yet");
}

circuits::Circuit CircuitSession::discover(const CircuitRequest&, const capture::Progress&) {
    throw std::logic_error("CircuitSession::discover: not implemented yet");
}

CircuitEvaluation CircuitSession::evaluate(const std::vector<uint8_t>&, const capture::Progress&) {
    throw std::logic_error("CircuitSession::evaluate: not implemented yet");
}

std::vector<circuits::FaithfulnessPoint> CircuitSession::faithfulnessCurve(
    const std::vector<float>&, bool, const capture::Progress&) {
    throw std::logic_error("CircuitSession::faithfulnessCurve: not implemented yet");
}

CircuitScorecard CircuitSession::scorecard(const circuits::Circuit&, const std::string&,
                                           const capture::Progress&) {
    throw std::logic_error("CircuitSession::scorecard: not implemented yet");
}

}  // namespace attnscope::app
