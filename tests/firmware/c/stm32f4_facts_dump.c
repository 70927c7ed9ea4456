/*
 * Prints the register addresses and bit masks of firmware_templates/firmware/stm32f4/tofhil_stm32f4.h as
 * "NAME value" lines (registers become their addresses), for tests/firmware/test_chip_facts.py.
 */
#include <stdint.h>
#include <stdio.h>

/* a register expression reads back as its own address */
static uint32_t register_address;
static uint32_t *address_of(uint32_t address)
{
    register_address = address;
    return &register_address;
}
#define TOFHIL_REG(address) (*address_of((uint32_t)(address)))
#define TOFHIL_DATA_BARRIER() ((void)0)
#include "tofhil_stm32f4.h"

#define SHOW(name) printf("%s %lu\n", #name, (unsigned long)(name))

int main(void)
{
    SHOW(TOFHIL_RCC_CR); SHOW(TOFHIL_RCC_PLLCFGR); SHOW(TOFHIL_RCC_CFGR);
    SHOW(TOFHIL_RCC_AHB1ENR_ADDRESS); SHOW(TOFHIL_RCC_APB1ENR_ADDRESS); SHOW(TOFHIL_RCC_APB2ENR_ADDRESS);
    SHOW(TOFHIL_FLASH_ACR); SHOW(TOFHIL_NVIC_ISER(0)); SHOW(TOFHIL_SCB_CPACR); SHOW(TOFHIL_SCB_CFSR);
    SHOW(TOFHIL_SYSTICK_CTRL); SHOW(TOFHIL_SYSTICK_LOAD); SHOW(TOFHIL_SYSTICK_VAL);
    SHOW(TOFHIL_DEMCR); SHOW(TOFHIL_DWT_CTRL); SHOW(TOFHIL_DWT_CYCCNT);
    SHOW(TOFHIL_GPIO_MODER(0)); SHOW(TOFHIL_GPIO_OSPEEDR(0)); SHOW(TOFHIL_GPIO_AFR(0, 0)); SHOW(TOFHIL_GPIO_AFR(0, 8));
    SHOW(TOFHIL_GPIO_MODER(2));
    SHOW(TOFHIL_USART_SR(0)); SHOW(TOFHIL_USART_DR(0)); SHOW(TOFHIL_USART_BRR(0)); SHOW(TOFHIL_USART_CR1(0));
    SHOW(TOFHIL_RCC_CR_HSION); SHOW(TOFHIL_RCC_CR_HSIRDY); SHOW(TOFHIL_RCC_CR_PLLON); SHOW(TOFHIL_RCC_CR_PLLRDY);
    SHOW(TOFHIL_RCC_CFGR_SW_PLL); SHOW(TOFHIL_RCC_CFGR_SWS_SHIFT);
    SHOW(TOFHIL_FLASH_ACR_PRFTEN); SHOW(TOFHIL_FLASH_ACR_ICEN); SHOW(TOFHIL_FLASH_ACR_DCEN);
    SHOW(TOFHIL_USART_SR_ORE); SHOW(TOFHIL_USART_SR_RXNE); SHOW(TOFHIL_USART_SR_TXE);
    SHOW(TOFHIL_USART_CR1_RE); SHOW(TOFHIL_USART_CR1_TE); SHOW(TOFHIL_USART_CR1_RXNEIE); SHOW(TOFHIL_USART_CR1_UE);
    SHOW(TOFHIL_USART_CR1_OVER8); SHOW(TOFHIL_DEMCR_TRCENA); SHOW(TOFHIL_DWT_CTRL_CYCCNTENA);
    return 0;
}
