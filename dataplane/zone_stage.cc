#include "dataplane/zone_stage.h"


namespace isogate::dataplane {

void ZoneStage::process(Burst& b) noexcept {
  for (int i = 0; i < b.count; ++i) {
    if (b.live(i)) judgeOne(b, i);
  }
}

}  // namespace isogate::dataplane
