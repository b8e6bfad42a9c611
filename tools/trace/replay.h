// rawgpu — trace replayer (placeholder; issue 6).
#pragma once
